//! Adam with bias correction, the update of PyTorch's `torch.optim.Adam` and optax's `adam`.
//!
//! At step t = 1, 2, … with gradient g_t:
//! m_t = β1 m_{t-1} + (1 − β1) g_t, v_t = β2 v_{t-1} + (1 − β2) g_t²,
//! θ_t = θ_{t-1} − lr · m̂_t / (√v̂_t + ε) with m̂_t = m_t / (1 − β1^t), v̂_t = v_t / (1 − β2^t).
//! ε is added after the square root, as both reference implementations do.

use burn::tensor::Tensor;

use crate::error::FieldError;

/// Hyper-parameters of Adam.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdamConfig {
    /// Learning rate.
    pub lr: f64,
    /// Decay rate of the first moment.
    pub beta1: f64,
    /// Decay rate of the second moment.
    pub beta2: f64,
    /// Term added to the denominator for numerical stability.
    pub eps: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        Self {
            lr: 0.03,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        }
    }
}

impl AdamConfig {
    /// Checks the ranges of the fields.
    ///
    /// # Errors
    /// A [`FieldError`] naming the first field out of range.
    pub fn validate(&self) -> Result<(), FieldError> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(FieldError::new("optimiser.lr", self.lr, "must be a positive finite number"));
        }
        for (field, beta) in [("optimiser.beta1", self.beta1), ("optimiser.beta2", self.beta2)] {
            if !(0.0..1.0).contains(&beta) {
                return Err(FieldError::new(field, beta, "must be in [0, 1)"));
            }
        }
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(FieldError::new("optimiser.eps", self.eps, "must be a positive finite number"));
        }
        Ok(())
    }
}

/// Adam state for a list of parameter tensors.
#[derive(Debug, Clone)]
pub struct Adam {
    config: AdamConfig,
    step: i32,
    first_moments: Vec<Tensor<2>>,
    second_moments: Vec<Tensor<2>>,
}

impl Adam {
    /// Creates the state with zero moments shaped like `params`.
    pub fn new(config: AdamConfig, params: &[Tensor<2>]) -> Self {
        Self {
            config,
            step: 0,
            first_moments: params.iter().map(Tensor::zeros_like).collect(),
            second_moments: params.iter().map(Tensor::zeros_like).collect(),
        }
    }

    /// Number of updates applied so far.
    pub fn step_count(&self) -> i32 {
        self.step
    }

    /// Applies one update and returns the new parameters.
    ///
    /// # Panics
    /// When `params` and `grads` do not match the tensors the state was created for.
    pub fn update(&mut self, params: Vec<Tensor<2>>, grads: Vec<Tensor<2>>) -> Vec<Tensor<2>> {
        assert_eq!(params.len(), self.first_moments.len(), "one gradient per parameter");
        assert_eq!(grads.len(), params.len(), "one gradient per parameter");
        self.step += 1;
        let AdamConfig {
            lr,
            beta1,
            beta2,
            eps,
        } = self.config;
        let bias_correction1 = 1.0 - beta1.powi(self.step);
        let bias_correction2 = 1.0 - beta2.powi(self.step);
        let step_size = lr / bias_correction1;
        let inverse_sqrt_correction2 = 1.0 / bias_correction2.sqrt();

        params
            .into_iter()
            .zip(grads)
            .enumerate()
            .map(|(index, (param, grad))| {
                let m = self.first_moments[index]
                    .clone()
                    .mul_scalar(beta1)
                    .add(grad.clone().mul_scalar(1.0 - beta1));
                let v = self.second_moments[index]
                    .clone()
                    .mul_scalar(beta2)
                    .add(grad.square().mul_scalar(1.0 - beta2));
                let denominator = v.clone().sqrt().mul_scalar(inverse_sqrt_correction2).add_scalar(eps);
                let updated = param.sub(m.clone().div(denominator).mul_scalar(step_size));
                self.first_moments[index] = m;
                self.second_moments[index] = v;
                updated
            })
            .collect()
    }
}
