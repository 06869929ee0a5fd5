"""Activation functions by name: one registry shared by the chapters, the models and the experiments.

Three views of each activation, kept apart so each can check the others:

- `activation_layer`: the Keras layer the models use;
- `activation` and `analytic_derivative`: closed forms in NumPy (float64), with the limits at ±∞;
- `derivative`: what automatic differentiation (`tf.GradientTape`) through the Keras layer gives, i.e. the
  derivative training actually uses, including its convention at the kink x = 0.

`alpha` is the negative slope of Leaky ReLU (and the initial slope of PReLU); it is ignored by the others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import keras
import numpy as np
from scipy.special import erfc, expit

from .names import ACTIVATIONS, DEFAULT_ALPHA, LABELS, SLOPED, check_activation  # noqa: F401 - the package's names
from .validation import check_choice, check_finite, check_int

SELU_LAMBDA = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717
"""SELU's constants (Klambauer et al. 2017), the values Keras uses."""

KINKED = ("relu", "leaky_relu", "prelu", "selu")
"""Activations whose derivative jumps at 0 (ELU with Keras' default α = 1 has a continuous derivative)."""

FORMULAS = {
    "sigmoid": (r"\sigma(x) = \frac{1}{1 + e^{-x}}", r"\sigma'(x) = \sigma(x)\,\bigl(1 - \sigma(x)\bigr)"),
    "tanh": (r"\tanh x = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}", r"\tanh' x = 1 - \tanh^2 x"),
    "relu": (
        r"\mathrm{ReLU}(x) = \max(0, x)",
        r"\mathrm{ReLU}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x < 0 \end{cases}",
    ),
    "leaky_relu": (
        r"\mathrm{LReLU}_\alpha(x) = \begin{cases} x & x \ge 0 \\ \alpha x & x < 0 \end{cases}",
        r"\mathrm{LReLU}_\alpha'(x) = \begin{cases} 1 & x > 0 \\ \alpha & x < 0 \end{cases}",
    ),
    "prelu": (
        r"\mathrm{PReLU}(x_i) = \begin{cases} x_i & x_i \ge 0 \\ a_i x_i & x_i < 0 \end{cases}"
        r"\\ (a_i \text{ learned per unit})",
        r"\frac{\partial\,\mathrm{PReLU}}{\partial x_i} = \begin{cases} 1 & x_i > 0 \\ a_i & x_i < 0 \end{cases},"
        r"\\ \frac{\partial\,\mathrm{PReLU}}{\partial a_i} = \min(0, x_i)",
    ),
    "elu": (
        r"\mathrm{ELU}(x) = \begin{cases} x & x > 0 \\ e^{x} - 1 & x \le 0 \end{cases}",
        r"\mathrm{ELU}'(x) = \begin{cases} 1 & x > 0 \\ e^{x} & x \le 0 \end{cases}",
    ),
    "selu": (
        r"\mathrm{SELU}(x) = \lambda \begin{cases} x & x > 0 \\ \alpha_s (e^{x} - 1) & x \le 0 \end{cases}"
        r"\\ \lambda \approx 1.0507,\ \alpha_s \approx 1.6733",
        r"\mathrm{SELU}'(x) = \lambda \begin{cases} 1 & x > 0 \\ \alpha_s e^{x} & x < 0 \end{cases}",
    ),
    "gelu": (
        r"\mathrm{GELU}(x) = x\,\Phi(x) = \frac{x}{2}\Bigl(1 + \operatorname{erf}\frac{x}{\sqrt 2}\Bigr)",
        r"\mathrm{GELU}'(x) = \Phi(x) + x\,\varphi(x)",
    ),
    "swish": (
        r"\mathrm{Swish}(x) = \mathrm{SiLU}(x) = x\,\sigma(x)",
        r"\mathrm{Swish}'(x) = \sigma(x) + x\,\sigma(x)\bigl(1 - \sigma(x)\bigr)",
    ),
    "mish": (
        r"\mathrm{Mish}(x) = x \tanh\bigl(\operatorname{softplus}(x)\bigr), \\ \operatorname{softplus}(x) = \ln(1 + e^{x})",
        r"\mathrm{Mish}'(x) = \tanh\bigl(\operatorname{softplus}(x)\bigr) \\ \quad"
        r" + x\,\sigma(x)\,\operatorname{sech}^2\bigl(\operatorname{softplus}(x)\bigr)",
    ),
}
"""LaTeX of each activation and its derivative, as (f, f′)."""




def activation_layer(name: str, alpha: float = DEFAULT_ALPHA, *, layer_name: str | None = None, shared_axes=None):
    """A Keras layer applying the named activation (PReLU learns its slope, starting at `alpha`).

    PReLU learns one slope per unit of its input by default; `shared_axes` (e.g. [1], the positions of a sequence)
    shares one slope along those axes, as He et al.'s channel-wise PReLU does."""
    name, alpha = check_activation(name, alpha)
    if name == "leaky_relu":
        return keras.layers.LeakyReLU(negative_slope=alpha, name=layer_name)
    if name == "prelu":
        return keras.layers.PReLU(
            alpha_initializer=keras.initializers.Constant(alpha), shared_axes=shared_axes, name=layer_name
        )
    if name == "swish":
        return keras.layers.Activation("silu", name=layer_name)
    return keras.layers.Activation(name, name=layer_name)


def formula_latex(name: str) -> str:
    """LaTeX of an activation above its derivative, for `IPython.display.Math`."""
    check_choice("activation", name, ACTIVATIONS)
    f, df = FORMULAS[name]
    return rf"\begin{{gathered}} {f} \\[6pt] {df} \end{{gathered}}"


# --- Closed forms (NumPy, float64) ------------------------------------------------------------------------


def _as_array(x) -> np.ndarray:
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"x must be real numbers (a number or an array of them); got {x!r}") from None


def _softplus(x):
    return np.logaddexp(0.0, x)


def _normal_cdf(x):
    return 0.5 * erfc(-x / math.sqrt(2.0))


def _normal_pdf(x):
    return np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)


def activation(name: str, x, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """The activation applied to `x` in float64; at ±∞ the value is the limit (e.g. Swish(−∞) = 0)."""
    name, alpha = check_activation(name, alpha)
    x = _as_array(x)
    with np.errstate(over="ignore", invalid="ignore"):
        if name == "sigmoid":
            y = expit(x)
        elif name == "tanh":
            y = np.tanh(x)
        elif name == "relu":
            y = np.where(x > 0, x, 0.0 * x)
        elif name in SLOPED:
            y = np.where(x >= 0, x, alpha * x)
        elif name == "elu":
            y = np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))
        elif name == "selu":
            y = SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0.0)))
        elif name == "gelu":
            y = x * _normal_cdf(x)
        elif name == "swish":
            y = x * expit(x)
        else:  # mish
            y = x * np.tanh(_softplus(x))
    # x · (a factor that vanishes at −∞) is 0·∞ there; the limit is 0. Likewise α = 0 in a leaky unit.
    y = np.where(np.isneginf(x) & np.isnan(y), 0.0, y)
    return y


def analytic_derivative(name: str, x, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """The derivative from its closed form in float64; NaN at a kink (x = 0 for `KINKED`), limits at ±∞."""
    name, alpha = check_activation(name, alpha)
    x = _as_array(x)
    with np.errstate(over="ignore", invalid="ignore"):
        if name == "sigmoid":
            s = expit(x)
            d = s * (1.0 - s)
        elif name == "tanh":
            d = 1.0 - np.tanh(x) ** 2
        elif name == "relu":
            d = np.where(x > 0, 1.0, 0.0)
        elif name in SLOPED:
            d = np.where(x > 0, 1.0, alpha)
        elif name == "elu":
            d = np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0)))
        elif name == "selu":
            d = SELU_LAMBDA * np.where(x > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(x, 0.0)))
        elif name == "gelu":
            d = _normal_cdf(x) + x * _normal_pdf(x)
        elif name == "swish":
            s = expit(x)
            d = s + x * s * (1.0 - s)
        else:  # mish
            t = np.tanh(_softplus(x))
            d = t + x * expit(x) * (1.0 - t * t)
    # GELU, Swish and Mish contain x · (a factor decaying exponentially), which is 0·∞ at ±∞; their
    # derivatives tend to 0 at −∞ and to 1 at +∞.
    d = np.where(np.isneginf(x) & np.isnan(d), 0.0, d)
    d = np.where(np.isposinf(x) & np.isnan(d), 1.0, d)
    if name in KINKED:
        d = np.where(x == 0, np.nan, d)
    return np.where(np.isnan(x), np.nan, d)


def one_sided_derivatives(name: str, alpha: float = DEFAULT_ALPHA) -> tuple[float, float]:
    """The derivative's limits at 0 from the left and from the right (equal unless the activation is kinked)."""
    left, right = analytic_derivative(name, [-1e-12, 1e-12], alpha)
    # Round off the 1e-12 offset (e.g. ELU's e^(−1e−12)) so that equal limits compare equal.
    return round(float(left), 9), round(float(right), 9)


# --- Automatic differentiation through Keras -------------------------------------------------------------


def derivative(name: str, x, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """d activation / dx by `tf.GradientTape` through the Keras layer (float32), returned as float64."""
    import tensorflow as tf

    name, alpha = check_activation(name, alpha)
    x = _as_array(x)
    layer = activation_layer(name, alpha)
    # One unit, many samples: PReLU then has a single slope, as in the formula.
    inputs = tf.constant(x.reshape(-1, 1), dtype=tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = layer(inputs)
    grad = tape.gradient(outputs, inputs)
    return grad.numpy().astype(np.float64).reshape(x.shape)


def keras_activation(name: str, x, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """The Keras layer applied to `x` (float32), returned as float64: what the models compute."""
    name, alpha = check_activation(name, alpha)
    x = _as_array(x)
    outputs = activation_layer(name, alpha)(x.reshape(-1, 1).astype(np.float32))
    return keras.ops.convert_to_numpy(outputs).astype(np.float64).reshape(x.shape)


def derivative_at_zero(names=ACTIVATIONS, alpha: float = DEFAULT_ALPHA, slopes: Mapping[str, float] | None = None):
    """Per activation: the derivative's left and right limits at 0 and what autodiff returns at exactly 0.

    `slopes` overrides `alpha` per activation, e.g. {"prelu": 0.0}, Keras' initial PReLU slope.
    """
    import pandas as pd

    rows = []
    for name in names:
        alpha_here = (slopes or {}).get(name, alpha)
        left, right = one_sided_derivatives(name, alpha_here)
        auto = float(derivative(name, [0.0], alpha_here)[0])
        # float32 autodiff against float64 limits: equal up to float32 rounding.
        same = lambda a, b: math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)  # noqa: E731
        if same(left, right):
            verdict = "no kink"
        elif same(auto, left):
            verdict = "left limit"
        elif same(auto, right):
            verdict = "right limit"
        else:
            verdict = "neither limit"
        rows.append(
            {
                "activation": _label(name),
                "f′(0⁻), left limit": left,
                "f′(0⁺), right limit": right,
                "autodiff at x = 0": auto,
                "autodiff's choice": verdict,
            }
        )
    return pd.DataFrame(rows).set_index("activation")


def _label(name: str) -> str:
    return LABELS[name]


# --- Why a non-linearity ---------------------------------------------------------------------------------


def linear_collapse(
    activation_name: str | None = None,
    alpha: float = DEFAULT_ALPHA,
    *,
    depth: int = 4,
    width: int = 32,
    n_samples: int = 2048,
    seed: int = 0,
) -> dict:
    """Does a stack of `depth` random Dense layers act as one affine map? Measure it.

    Builds Keras Dense layers (Glorot-uniform weights, random biases) with `activation_name` between them
    (None: none). Reports how far the stack's output is from (a) the single affine map W = W₁W₂…W_d,
    b = (…(b₁W₂ + b₂)W₃ …) + b_d obtained by multiplying the layers out, and (b) the best affine map fitted
    to the outputs by least squares. Without an activation both errors are float32 rounding; with one, (b)
    measures how much of the output no single affine map can produce.
    """
    depth = check_int("depth", depth, low=1)
    width = check_int("width", width, low=1)
    n_samples = check_int("n_samples", n_samples, low=width + 2)
    seed = check_int("seed", seed, low=0)
    if activation_name is not None:
        activation_name, alpha = check_activation(activation_name, alpha)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_samples, width)).astype(np.float32)

    layers = []
    for i in range(depth):
        dense = keras.layers.Dense(
            width,
            kernel_initializer=keras.initializers.GlorotUniform(seed=seed * 1000 + i),
            bias_initializer=keras.initializers.RandomNormal(stddev=0.1, seed=seed * 1000 + 500 + i),
        )
        layers.append(dense)
        if activation_name is not None and i < depth - 1:
            layers.append(activation_layer(activation_name, alpha))
    stack = keras.Sequential([keras.Input((width,)), *layers])
    y = keras.ops.convert_to_numpy(stack(x)).astype(np.float64)

    # Multiply the layers out in float64: one matrix and one bias.
    matrix, bias = np.eye(width), np.zeros(width)
    for dense in (layer for layer in layers if isinstance(layer, keras.layers.Dense)):
        kernel, b = (w.astype(np.float64) for w in dense.get_weights())
        matrix, bias = matrix @ kernel, bias @ kernel + b
    y_product = x.astype(np.float64) @ matrix + bias

    design = np.hstack([x.astype(np.float64), np.ones((n_samples, 1))])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residual = y - design @ coef
    spread = np.linalg.norm(y - y.mean(axis=0))
    return dict(
        activation=activation_name or "none",
        depth=depth,
        width=width,
        n_samples=n_samples,
        product_max_abs_error=float(np.max(np.abs(y - y_product))),
        output_max_abs=float(np.max(np.abs(y))),
        affine_fit_relative_residual=float(np.linalg.norm(residual) / spread),
    )


# --- Properties -------------------------------------------------------------------------------------------


def properties(name: str, alpha: float = DEFAULT_ALPHA, *, x_limit: float = 15.0) -> dict:
    """Shape properties of an activation, computed from its closed forms (not typed in).

    Range from the minimum on [−x_limit, x_limit] and the limits at ±∞; mean output for standard normal
    inputs (by quadrature); saturation = |f′| < 1e−5 at ∓x_limit; dead region = f′ exactly 0 on all of
    x < 0; smoothness from the jumps of f′ and f″ at 0.
    """
    name, alpha = check_activation(name, alpha)
    x_limit = check_finite("x_limit", x_limit, low=1.0)
    grid = np.linspace(-x_limit, x_limit, 30001)
    f = activation(name, grid, alpha)
    f_neg_inf, f_pos_inf = activation(name, [-np.inf, np.inf], alpha)
    low, high = float(np.min(f)), float(np.max(f))
    lower = f"[{_number(low)}" if low <= f_neg_inf else f"({_number(f_neg_inf)}"
    upper = f"{_number(high)}]" if high >= f_pos_inf else f"{_number(f_pos_inf)})"

    fine = np.linspace(-12.0, 12.0, 240001)
    mean = float(np.trapezoid(activation(name, fine, alpha) * _normal_pdf(fine), fine))

    d_tails = analytic_derivative(name, [-x_limit, x_limit], alpha)
    saturates = [side for side, d in zip(("x → −∞", "x → +∞"), d_tails) if abs(d) < 1e-5]
    saturates = "both tails" if len(saturates) == 2 else saturates[0] if saturates else "no"
    negative = np.linspace(-x_limit, -1e-6, 2001)
    dead = bool(np.all(analytic_derivative(name, negative, alpha) == 0.0))

    left, right = one_sided_derivatives(name, alpha)
    h = 1e-5
    d = analytic_derivative(name, [-2 * h, -h, h, 2 * h], alpha)
    curvature_jump = abs((d[3] - d[2]) / h - (d[1] - d[0]) / h)
    if not math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9):
        smoothness = f"kink, f′ {_number(left)}→{_number(right)}"
    elif curvature_jump > 1e-2:
        smoothness = "f″ jumps at 0"
    else:
        smoothness = "smooth"
    return dict(
        activation=name,
        range=f"{lower}, {upper}",
        mean_output_standard_normal=mean,
        zero_centred=abs(mean) < 0.01,
        saturates=saturates,
        dead_region="x < 0" if dead else "none",
        derivative_at_minus_1=float(analytic_derivative(name, [-1.0], alpha)[0]),
        smoothness=smoothness,
    )


def _number(value: float) -> str:
    if value == math.inf:
        return "∞"
    if value == -math.inf:
        return "−∞"
    text = f"{value + 0.0:.3g}"  # + 0.0: a negative zero is shown as 0
    return text.replace("-", "−")


def properties_table(names=ACTIVATIONS, alpha: float = DEFAULT_ALPHA, slopes: Mapping[str, float] | None = None):
    """A DataFrame of `properties` per activation, every column computed from the functions (no timing: the book's
    cost verdict is measured in training, `experiments.comparison_cost`).

    Rows are labelled with the reader's names (plots.LABELS) and columns with `PROPERTY_COLUMNS`. `slopes` overrides `alpha` per
    activation, as in `derivative_at_zero`.
    """
    import pandas as pd

    table = pd.DataFrame([properties(name, (slopes or {}).get(name, alpha)) for name in names]).set_index("activation")
    # To the integral's accuracy: SELU's mean is 0, not the 2.35e−10 that quadrature leaves.
    table["mean_output_standard_normal"] = table["mean_output_standard_normal"].round(4) + 0.0
    table.index = [_label(name) for name in table.index]
    return table.rename(columns=PROPERTY_COLUMNS)


PROPERTY_COLUMNS = {
    "range": "range",
    "mean_output_standard_normal": "mean, N(0,1) input",
    "zero_centred": "zero-centred",
    "saturates": "saturates",
    "dead_region": "dead region",
    "derivative_at_minus_1": "f′(−1)",
    "smoothness": "smoothness",
}
"""Reader-facing column names of `properties_table`."""


def linear_collapse_table(
    alpha: float = DEFAULT_ALPHA, *, depth: int = 4, width: int = 32, n_samples: int = 2048, seed: int = 0
):
    """`linear_collapse` without an activation, with ReLU and with Leaky ReLU between the same layers."""
    import pandas as pd

    rows = []
    for name in (None, "relu", "leaky_relu"):
        result = linear_collapse(name, alpha, depth=depth, width=width, n_samples=n_samples, seed=seed)
        rows.append(
            {
                "between the layers": "nothing" if name is None else _label(name),
                "max |stack − product map|": result["product_max_abs_error"],
                "max |output|": result["output_max_abs"],
                "best affine fit: relative residual": result["affine_fit_relative_residual"],
            }
        )
    return pd.DataFrame(rows).set_index("between the layers")


def collapse_summary(table) -> dict[str, float]:
    """The numbers the chapter quotes from a `linear_collapse_table`, as plain floats."""
    residual = table["best affine fit: relative residual"]
    return dict(
        product_error=float(table.loc["nothing", "max |stack − product map|"]),
        output_max=float(table.loc["nothing", "max |output|"]),
        none_residual=float(residual["nothing"]),
        relu_residual=float(residual["ReLU"]),
        leaky_residual=float(residual["Leaky ReLU"]),
    )


CITED_SLOPES = {
    "torch.nn.LeakyReLU() (PyTorch)": (0.01, "pytorchleakyrelu"),
    "Maas et al. (2013)": (0.01, "maas2013rectifier"),
    "the seed article": (0.01, "seedarticle"),
    "Xu et al. (2015), a = 5.5": (1 / 5.5, "xu2015empirical"),
    "PReLU's initial slope, He et al. (2015)": (0.25, "he2015delving"),
}
"""Slopes from the literature and from PyTorch's documentation: cited, not measured."""


DEFAULT_SLOPE_KEYS = ("layer_config", "layer", "function", "string", "prelu")
"""Short names of `measured_default_slopes`' entries, in order (Chapter 1 glues them as keras_<key>_slope)."""


def measured_default_slopes() -> dict[str, float]:
    """The slope each way of asking Keras for a leaky rectifier gives by default, measured on this Keras.

    Each form is applied to x = −1, where its output is −α; the layer's config is read as well.
    """
    x = np.array([[-1.0]], dtype="float32")
    layer = keras.layers.LeakyReLU()
    dense = keras.layers.Dense(1, activation="leaky_relu", kernel_initializer="ones", use_bias=False)
    return {
        "keras.layers.LeakyReLU(): its config": float(layer.get_config()["negative_slope"]),
        "keras.layers.LeakyReLU(): −output at −1": -float(layer(x)[0, 0]),
        "keras.activations.leaky_relu: −output at −1": -float(keras.activations.leaky_relu(x)[0, 0]),
        'activation="leaky_relu": −output at −1': -float(dense(x)[0, 0]),
        "keras.layers.PReLU(): −output at −1 (initial slope)": 0.0 - float(keras.layers.PReLU()(x)[0, 0]),
    }


def slope_defaults_table(measured: Mapping[str, float], keras_version: str):
    """Measured Keras defaults beside the cited slopes, with how each is known."""
    import pandas as pd

    rows = [dict(source=k, α=float(v), known_by=f"measured (Keras {keras_version})") for k, v in measured.items()]
    rows += [dict(source=k, α=v, known_by="cited") for k, (v, _key) in CITED_SLOPES.items()]
    return pd.DataFrame(rows).set_index("source").rename(columns={"known_by": "how it is known"})
