//! The dense per-sample Jacobian J (n × P), row j = ∇_θ f(x_j), vmap-style.
//!
//! Reverse mode gives the gradient of one scalar, and the gradient of Σ_j f(x_j) with respect to
//! shared weights mixes the samples. As `vmap` does, each sample of a chunk gets its own copy of
//! every weight matrix (a leaf of shape c × m_{l-1} × m_l), the chunk runs as a batched forward
//! pass, and one backward pass of the summed outputs leaves sample j's gradient in copy j. Columns
//! follow the parameter order W_1, W_2, …, each W_l (m_l × m_{l-1}) row-major, the order of
//! [`HostWeights::flatten`](crate::model::HostWeights::flatten). Chunks bound the memory of the
//! copies to c · P values.

use burn::tensor::Tensor;
use burn::tensor::activation::relu;

use crate::model::Mlp;

/// Computes J (n × P) for the rows of `x` (n × d), `chunk` samples at a time.
pub fn per_sample_jacobian(mlp: &Mlp, x: Tensor<2>, chunk: usize) -> Tensor<2> {
    let n = x.dims()[0];
    let chunk = chunk.max(1);
    let blocks: Vec<Tensor<2>> = (0..n)
        .step_by(chunk)
        .map(|start| {
            let end = (start + chunk).min(n);
            jacobian_chunk(mlp, x.clone().slice(start..end))
        })
        .collect();
    Tensor::cat(blocks, 0)
}

fn jacobian_chunk(mlp: &Mlp, x: Tensor<2>) -> Tensor<2> {
    let [c, d] = x.dims();
    let depth = mlp.architecture.depth();
    let copies: Vec<Tensor<3>> = mlp
        .weights
        .iter()
        .map(|w| {
            w.clone()
                .unsqueeze_dim::<3>(0)
                .repeat_dim(0, c)
                .autodiff()
                .require_grad()
        })
        .collect();

    let mut a: Tensor<3> = x.reshape([c, 1, d]).autodiff();
    for (index, weight) in copies.iter().enumerate() {
        let l = index + 1;
        let mut z = a.matmul(weight.clone());
        let scale = mlp.architecture.scale(l);
        if scale != 1.0 {
            z = z.mul_scalar(scale);
        }
        a = if l < depth { relu(z) } else { z };
    }
    let gradients = a.sum().backward();

    let columns: Vec<Tensor<2>> = copies
        .iter()
        .map(|copy| {
            let grad = copy.grad(&gradients).expect("every weight copy takes part in the output");
            let [_, fan_in, fan_out] = grad.dims();
            grad.swap_dims(1, 2).reshape([c, fan_out * fan_in])
        })
        .collect();
    Tensor::cat(columns, 1)
}
