//! Per-sample backprop signals δ_l(x) = ∂f(x)/∂z_l(x) from one forward and one backward pass.
//!
//! A zero "probe" leaf P_l (n × m_l) that requires grad is added to every pre-activation,
//! z_l ← z_l + P_l. Because sample j's output depends only on row j of each P_l, the gradient of
//! Σ_j f(x_j) with respect to P_l is, row by row, δ_l(x_j): all samples' signals come from one
//! backward pass. With these, ∂f(x)/∂W_l = s_l δ_l(x) a_{l-1}(x)ᵀ.

use burn::tensor::{Tensor, TensorCreationOptions};
use burn::tensor::activation::relu;

use crate::model::Mlp;

/// Signals and activations of a batch of inputs.
pub struct BackpropSignals {
    /// Δ_1 … Δ_L (n × m_l), row j = δ_l(x_j); Δ_L is all ones.
    pub deltas: Vec<Tensor<2>>,
    /// A_0 = X, A_1 … A_{L-1} (n × m_l).
    pub activations: Vec<Tensor<2>>,
}

/// Computes δ_l and a_{l-1} for every layer and every row of `x` (n × d), on the device of
/// `mlp`'s weights, without gradients attached to the results.
pub fn backprop_signals(mlp: &Mlp, x: Tensor<2>) -> BackpropSignals {
    let depth = mlp.architecture.depth();
    let n = x.dims()[0];
    let dtype = x.dtype();
    let base_device = x.device().inner();
    let mut probes = Vec::with_capacity(depth);
    let mut activations = vec![x.clone()];
    let mut a = x.autodiff();
    for l in 1..=depth {
        let weight = mlp.weights[l - 1].clone().autodiff();
        let width = mlp.architecture.widths[l];
        let options = TensorCreationOptions::new(base_device.clone()).with_dtype(dtype);
        let probe = Tensor::<2>::zeros([n, width], options).autodiff().require_grad();
        let z = mlp.scaled(a.matmul(weight), l).add(probe.clone());
        probes.push(probe);
        if l < depth {
            a = relu(z);
            activations.push(a.clone().inner());
        } else {
            a = z;
        }
    }
    let gradients = a.sum().backward();
    let deltas = probes
        .iter()
        .map(|probe| {
            probe
                .grad(&gradients)
                .expect("every probe takes part in the output")
        })
        .collect();
    BackpropSignals { deltas, activations }
}
