//! Bias-free multilayer perceptron with ReLU activations.
//!
//! With a_0 = x, pre-activations z_l = s_l W_l a_{l-1} and activations a_l = φ(z_l) for
//! l = 1..L, where φ is ReLU and the network output is the scalar logit f(x) = z_L. The scale s_l is
//! 1 in the `standard` parameterisation and 1/√m_{l-1} in the `ntk` one. W_l has shape
//! m_l × m_{l-1}, with m_0 = d and m_L = 1.
//!
//! On the device each weight is stored transposed, as W_lᵀ (m_{l-1} × m_l), so that a batch
//! of row inputs A_{l-1} (n × m_{l-1}) is multiplied by a contiguous matrix: Z_l = s_l A_{l-1} W_lᵀ.
//! Initial weights are drawn on the host, entries N(0, σ_init²) in the row-major order of W_l,
//! layer after layer, from a seeded RNG, so a seed gives the same network on every backend.

use burn::tensor::activation::relu;
use burn::tensor::{DType, Device, Tensor, TensorCreationOptions, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::FieldError;

/// RNG stream of the initial weights (the data uses stream 0).
const INIT_STREAM: u64 = 1;

/// Scaling of the pre-activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Parameterisation {
    /// z_l = W_l a_{l-1}.
    Standard,
    /// z_l = W_l a_{l-1} / √m_{l-1} (the neural tangent parameterisation).
    Ntk,
}

/// Architecture and initialisation of an MLP.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MlpConfig {
    /// Number of weight layers L (at least 2).
    pub depth: usize,
    /// Width m of every hidden layer.
    pub width: usize,
    /// Scaling of the pre-activations.
    pub parameterisation: Parameterisation,
    /// Standard deviation of the initial weights.
    pub sigma_init: f64,
}

impl MlpConfig {
    /// Checks the ranges of the fields.
    ///
    /// # Errors
    /// A [`FieldError`] naming the first field out of range.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.depth < 2 {
            return Err(FieldError::new("model.depth", self.depth, "must be at least 2"));
        }
        if self.width == 0 {
            return Err(FieldError::new("model.width", self.width, "must be at least 1"));
        }
        if !(self.sigma_init.is_finite() && self.sigma_init > 0.0) {
            return Err(FieldError::new(
                "model.sigma_init",
                self.sigma_init,
                "must be a positive finite number",
            ));
        }
        Ok(())
    }

    /// Returns the layer widths m_0 = d, m_1 … m_{L-1} = width, m_L = 1.
    pub fn layer_widths(&self, input_dim: usize) -> Vec<usize> {
        let mut widths = vec![input_dim];
        widths.extend(std::iter::repeat_n(self.width, self.depth - 1));
        widths.push(1);
        widths
    }

    /// Returns the architecture of this configuration for `input_dim` inputs.
    pub fn architecture(&self, input_dim: usize) -> Architecture {
        Architecture::new(self.layer_widths(input_dim), self.parameterisation)
    }

    /// Draws the initial weights for `seed`.
    pub fn init_weights(&self, input_dim: usize, seed: u64) -> HostWeights {
        let architecture = self.architecture(input_dim);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(INIT_STREAM);
        let layers = (1..architecture.widths.len())
            .map(|l| {
                let (rows, cols) = (architecture.widths[l], architecture.widths[l - 1]);
                let values = (0..rows * cols)
                    .map(|_| {
                        let sample: f64 = StandardNormal.sample(&mut rng);
                        (self.sigma_init * sample) as f32
                    })
                    .collect();
                Matrix { rows, cols, values }
            })
            .collect();
        HostWeights { architecture, layers }
    }
}

/// Layer widths and parameterisation: everything but the weights.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Architecture {
    /// m_0 = d, the hidden widths, and m_L = 1.
    pub widths: Vec<usize>,
    /// Scaling of the pre-activations.
    pub parameterisation: Parameterisation,
}

impl Architecture {
    /// Creates an architecture.
    ///
    /// # Panics
    /// When there are fewer than two layers or the output width is not 1; callers building from a
    /// recipe go through [`MlpConfig::validate`] first.
    pub fn new(widths: Vec<usize>, parameterisation: Parameterisation) -> Self {
        assert!(widths.len() >= 3, "an MLP needs at least two weight layers");
        assert_eq!(widths.last(), Some(&1), "the MLP output is a scalar logit");
        Self {
            widths,
            parameterisation,
        }
    }

    /// Number of weight layers L.
    pub fn depth(&self) -> usize {
        self.widths.len() - 1
    }

    /// Number of inputs d.
    pub fn input_dim(&self) -> usize {
        self.widths[0]
    }

    /// Returns the scale s_l of layer `l` (1-based): 1 or 1/√m_{l-1}.
    pub fn scale(&self, l: usize) -> f64 {
        match self.parameterisation {
            Parameterisation::Standard => 1.0,
            Parameterisation::Ntk => 1.0 / (self.widths[l - 1] as f64).sqrt(),
        }
    }

    /// Number of parameters P = Σ_l m_l m_{l-1}.
    pub fn parameter_count(&self) -> usize {
        self.widths.windows(2).map(|w| w[0] * w[1]).sum()
    }
}

/// A dense row-major matrix on the host.
#[derive(Debug, Clone, PartialEq)]
pub struct Matrix<T> {
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Entries, row after row.
    pub values: Vec<T>,
}

impl<T: Copy> Matrix<T> {
    /// The transpose.
    pub fn transpose(&self) -> Matrix<T> {
        let mut values = Vec::with_capacity(self.values.len());
        for c in 0..self.cols {
            values.extend((0..self.rows).map(|r| self.values[r * self.cols + c]));
        }
        Matrix {
            rows: self.cols,
            cols: self.rows,
            values,
        }
    }
}

/// The weights W_l (m_l × m_{l-1}, f32) of an MLP on the host, in the layout of the formulas.
#[derive(Debug, Clone, PartialEq)]
pub struct HostWeights {
    /// Layer widths and parameterisation.
    pub architecture: Architecture,
    /// W_1 … W_L.
    pub layers: Vec<Matrix<f32>>,
}

impl HostWeights {
    /// Moves the weights to `device` in the float type `dtype`.
    pub fn to_device(&self, device: &Device, dtype: DType) -> Mlp {
        let weights = self
            .layers
            .iter()
            .map(|w| {
                let transposed = w.transpose();
                let data = TensorData::new(transposed.values, [transposed.rows, transposed.cols]);
                Tensor::<2>::from_data(data, options(device, dtype))
            })
            .collect();
        Mlp {
            architecture: self.architecture.clone(),
            weights,
        }
    }

    /// Concatenates all parameters in the order W_1, W_2, … with each W_l row-major.
    pub fn flatten(&self) -> Vec<f32> {
        self.layers
            .iter()
            .flat_map(|w| w.values.iter().copied())
            .collect()
    }
}

/// Pre-activations and activations of one forward pass over a batch.
pub struct ForwardTrace {
    /// Z_1 … Z_L, each n × m_l.
    pub pre_activations: Vec<Tensor<2>>,
    /// A_0 = X, A_1 … A_{L-1}, each n × m_l.
    pub activations: Vec<Tensor<2>>,
}

/// An MLP whose weights live on a device.
#[derive(Debug, Clone)]
pub struct Mlp {
    /// Layer widths and parameterisation.
    pub architecture: Architecture,
    /// W_1ᵀ … W_Lᵀ, each m_{l-1} × m_l.
    pub weights: Vec<Tensor<2>>,
}

impl Mlp {
    /// Logits f(X) (n × 1) of a batch of row inputs X (n × d).
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let depth = self.architecture.depth();
        let mut a = x;
        for (index, w) in self.weights.iter().enumerate() {
            let z = self.scaled(a.matmul(w.clone()), index + 1);
            a = if index + 1 == depth { z } else { relu(z) };
        }
        a
    }

    /// Forward pass that keeps every pre-activation and activation.
    pub fn forward_trace(&self, x: Tensor<2>) -> ForwardTrace {
        let depth = self.architecture.depth();
        let mut activations = vec![x];
        let mut pre_activations = Vec::with_capacity(depth);
        for (index, w) in self.weights.iter().enumerate() {
            let a = activations.last().expect("A_0 is the input").clone();
            let z = self.scaled(a.matmul(w.clone()), index + 1);
            if index + 1 < depth {
                activations.push(relu(z.clone()));
            }
            pre_activations.push(z);
        }
        ForwardTrace {
            pre_activations,
            activations,
        }
    }

    /// Multiplies by the scale s_l of layer `l` (1-based) unless it is 1.
    pub(crate) fn scaled(&self, tensor: Tensor<2>, l: usize) -> Tensor<2> {
        let scale = self.architecture.scale(l);
        if scale == 1.0 {
            tensor
        } else {
            tensor.mul_scalar(scale)
        }
    }

    /// Copies the weights back to the host as f32.
    pub fn to_host(&self) -> HostWeights {
        let layers = self
            .weights
            .iter()
            .map(|w| {
                let [rows, cols] = w.dims();
                let values = w
                    .clone()
                    .try_into_vec_as::<f32>()
                    .expect("weights read back from the device");
                Matrix { rows, cols, values }.transpose()
            })
            .collect();
        HostWeights {
            architecture: self.architecture.clone(),
            layers,
        }
    }
}

/// Creates a row-major f32 host matrix on `device` in the float type `dtype`.
pub fn tensor_from_rows(values: &[f32], rows: usize, cols: usize, device: &Device, dtype: DType) -> Tensor<2> {
    let data = TensorData::new(values.to_vec(), [rows, cols]);
    Tensor::<2>::from_data(data, options(device, dtype))
}

/// Creation options that keep `dtype`: without them, `Tensor::from_data` converts to the device's
/// default float type.
pub fn options(device: &Device, dtype: DType) -> TensorCreationOptions {
    TensorCreationOptions::new(device.clone()).with_dtype(dtype)
}
