/* The widget manager (require.js + embed-amd.js, 3.6 MB; 0.9 MB gzipped) loaded only when a widget comes near the
   screen: a reader who never scrolls to one never pays for it, and nothing waits for it before the first paint.
   Added by myst-nb to pages with widget state (_config.yml, nb_ipywidgets_js); the files lie in _static/vendor. */
(function () {
  var base = document.currentScript.src.replace(/[^/]*$/, "") + "vendor/";
  var started = false;
  function load(src, then) {
    var s = document.createElement("script");
    s.src = base + src;
    s.onload = then;
    document.head.appendChild(s);
  }
  function start() {
    if (started) { return; }
    started = true;
    load("require.js", function () { load("embed-amd.js"); });
  }
  function watch() {
    var views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
    if (!views.length) { return; }
    if (!("IntersectionObserver" in window)) { start(); return; }
    var seen = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) { seen.disconnect(); start(); }
    }, { rootMargin: "800px 0px" });
    views.forEach(function (v) { seen.observe(v.parentElement); });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", watch); } else { watch(); }
})();
