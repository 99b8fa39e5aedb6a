//! The empirical neural tangent kernel of a bias-free MLP and the autodiff tools behind it.
//!
//! For parameters θ and a scalar output f, the empirical NTK is Θ(x, x') = J(x)·J(x') with
//! J(x) = ∇_θ f(x) ∈ R^P. burn offers reverse-mode autodiff only, so this module builds what an
//! NTK study needs from it, on any backend:
//!
//! - [`signals`]: the per-sample backprop signals δ_l(x) = ∂f/∂z_l of every layer from one forward
//!   and one backward pass (a zero "probe" leaf is added to each pre-activation);
//! - [`jacobian`]: the dense per-sample Jacobian J (n × P), vmap-style, in chunks;
//! - [`jvp`]: forward-mode Jacobian-vector products J(x)·c for a batch of parameter directions
//!   c, written in tensor ops so that reverse mode can differentiate them with respect to x;
//! - [`kernel`]: the [`Kernel`](kernel::Kernel) trait and the NTK in two ways, structured (from
//!   signals) and as the contraction J Jᵀ, both tiled over inputs.
//!
//! Host matrices are row-major [`Matrix<f64>`](crate::model::Matrix); device work runs in the
//! float type of the MLP's weights (f64 on CPU backends, f32 on wgpu).

pub mod host;
pub mod jacobian;
pub mod jvp;
pub mod kernel;
pub mod saliency;
pub mod signals;

pub use jacobian::per_sample_jacobian;
pub use jvp::{ParameterTangents, jvp};
pub use kernel::{ContractionNtk, Kernel, StructuredNtk};
pub use signals::{BackpropSignals, backprop_signals};
