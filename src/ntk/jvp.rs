//! Forward-mode Jacobian-vector products J(x)·c for a batch of parameter directions c.
//!
//! A direction c has one block C_l (m_l × m_{l-1}) per weight matrix. Differentiating the forward
//! pass along c gives the tangent recursion
//!
//! ż_l = s_l (C_l a_{l-1} + W_l ȧ_{l-1}), ȧ_0 = 0, ȧ_l = φ'(z_l) ⊙ ż_l, J(x)·c = ż_L,
//!
//! evaluated here for b directions at once on b batches of inputs. Everything is ordinary tensor
//! operations, so when the inputs are autodiff leaves, reverse mode differentiates J(x)·c with
//! respect to x (φ' of ReLU is a step whose derivative is zero almost everywhere).

use burn::tensor::activation::relu;
use burn::tensor::{Tensor, TensorData};

use crate::model::{Mlp, options};

/// A batch of b parameter directions, stored per layer as C_lᵀ (b × m_{l-1} × m_l), the layout of
/// the device weights.
#[derive(Debug, Clone)]
pub struct ParameterTangents {
    /// C_1ᵀ … C_Lᵀ.
    pub blocks: Vec<Tensor<3>>,
}

impl ParameterTangents {
    /// Number of directions b.
    pub fn batch(&self) -> usize {
        self.blocks[0].dims()[0]
    }

    /// Builds directions from flat parameter vectors in the order of
    /// [`HostWeights::flatten`](crate::model::HostWeights::flatten) (W_l row-major, layer after
    /// layer), on the device and in the float type of `mlp`.
    ///
    /// # Panics
    /// When a vector's length differs from the parameter count P.
    pub fn from_flat(mlp: &Mlp, directions: &[Vec<f64>]) -> Self {
        let architecture = &mlp.architecture;
        let count = architecture.parameter_count();
        assert!(directions.iter().all(|c| c.len() == count), "each direction has P = {count} entries");
        let b = directions.len();
        let reference = &mlp.weights[0];
        let mut offset = 0;
        let blocks = (1..=architecture.depth())
            .map(|l| {
                let (rows, cols) = (architecture.widths[l], architecture.widths[l - 1]);
                let mut values = Vec::with_capacity(b * rows * cols);
                for direction in directions {
                    let block = &direction[offset..offset + rows * cols];
                    // Transpose C_l (rows × cols) into C_lᵀ.
                    for c in 0..cols {
                        values.extend((0..rows).map(|r| block[r * cols + c]));
                    }
                }
                offset += rows * cols;
                let data = TensorData::new(values, [b, cols, rows]);
                Tensor::<3>::from_data(data, options(&reference.device(), reference.dtype()))
            })
            .collect();
        Self { blocks }
    }

    /// Builds the unit directions e_p for p in `range`, so that J(x)·e_p is column p of J.
    pub fn basis(mlp: &Mlp, range: std::ops::Range<usize>) -> Self {
        let count = mlp.architecture.parameter_count();
        let directions: Vec<Vec<f64>> = range
            .map(|p| {
                let mut direction = vec![0.0; count];
                direction[p] = 1.0;
                direction
            })
            .collect();
        Self::from_flat(mlp, &directions)
    }
}

/// Computes J(x)·c_i for every direction i and every input row: `x` is b × n × d (batch i
/// contains the inputs paired with direction i) and the result b × n.
pub fn jvp(mlp: &Mlp, tangents: &ParameterTangents, x: Tensor<3>) -> Tensor<2> {
    let [b, n, _] = x.dims();
    assert_eq!(b, tangents.batch(), "one batch of inputs per direction");
    let depth = mlp.architecture.depth();
    let mut a = x;
    let mut a_dot: Option<Tensor<3>> = None;
    for l in 1..=depth {
        let weight = mlp.weights[l - 1].clone();
        let [fan_in, fan_out] = weight.dims();
        let z = a.clone().reshape([b * n, fan_in]).matmul(weight.clone()).reshape([b, n, fan_out]);
        let mut z_dot = a.matmul(tangents.blocks[l - 1].clone());
        if let Some(a_dot) = a_dot.take() {
            let through_weights = a_dot.reshape([b * n, fan_in]).matmul(weight).reshape([b, n, fan_out]);
            z_dot = z_dot.add(through_weights);
        }
        let scale = mlp.architecture.scale(l);
        let (z, z_dot) = if scale == 1.0 {
            (z, z_dot)
        } else {
            (z.mul_scalar(scale), z_dot.mul_scalar(scale))
        };
        if l == depth {
            return z_dot.reshape([b, n]);
        }
        let slope = z.clone().greater_elem(0.0).float().cast(z_dot.dtype());
        a_dot = Some(slope.mul(z_dot));
        a = relu(z);
    }
    unreachable!("an MLP has at least one layer")
}

/// Computes J (n × P) column by column as J·e_p with `chunk` basis directions at a time: a third
/// route to the Jacobian, independent of both reverse-mode ones, used to cross-check them.
pub fn jacobian_via_jvp(mlp: &Mlp, x: Tensor<2>, chunk: usize) -> Tensor<2> {
    let [n, d] = x.dims();
    let count = mlp.architecture.parameter_count();
    let chunk = chunk.max(1);
    let columns: Vec<Tensor<2>> = (0..count)
        .step_by(chunk)
        .map(|start| {
            let end = (start + chunk).min(count);
            let tangents = ParameterTangents::basis(mlp, start..end);
            let inputs = x.clone().unsqueeze_dim::<3>(0).expand([end - start, n, d]);
            jvp(mlp, &tangents, inputs).transpose()
        })
        .collect();
    Tensor::cat(columns, 1)
}
