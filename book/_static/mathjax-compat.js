// Added to the MathJax 3 configuration of the page (which Sphinx writes just before): the MathJax 2 entry
// point `MathJax.Hub.Queue` that the ipywidgets HTML manager still calls to typeset widget labels.
(function () {
  var pending = [];
  function queue() {
    for (var i = 0; i < arguments.length; i++) {
      var job = arguments[i];
      if (Array.isArray(job) && job[0] === "Typeset" && job[2]) pending.push(job[2]);
    }
    if (window.MathJax && window.MathJax.typesetPromise) {
      window.MathJax.typesetPromise(pending.splice(0)).catch(function (err) { console.warn(err); });
    }
  }
  var config = window.MathJax || {};
  config.Hub = { Queue: queue };
  config.startup = Object.assign({}, config.startup, {
    ready: function () {
      window.MathJax.startup.defaultReady();
      window.MathJax.Hub = { Queue: queue };
      queue();
    },
  });
  window.MathJax = config;
})();
