//! Training objective: mean binary cross-entropy on logits plus L1 and L2 penalties,
//! L(θ) = (1/n) Σ_j ℓ(f(x_j), y_j) + λ1 Σ|θ| + λ2 Σθ², with ℓ(f, y) = softplus(f) − y f.

use burn::tensor::{Tensor, TensorCreationOptions};

use crate::error::FieldError;

/// Strengths of the weight penalties.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RegularisationConfig {
    /// λ1, the weight of Σ|θ|.
    pub l1: f64,
    /// λ2, the weight of Σθ².
    pub l2: f64,
}

impl RegularisationConfig {
    /// Checks that both strengths are finite and non-negative.
    ///
    /// # Errors
    /// A [`FieldError`] naming the field out of range.
    pub fn validate(&self) -> Result<(), FieldError> {
        for (field, value) in [("optimiser.l1", self.l1), ("optimiser.l2", self.l2)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(FieldError::new(field, value, "must be a finite number ≥ 0"));
            }
        }
        Ok(())
    }
}

/// Binary cross-entropy ℓ(f, y) = softplus(f) − y f of each logit against its label in {0, 1};
/// `labels` may broadcast against `logits`.
///
/// Uses softplus(f) = max(f, 0) + log(1 + e^{−|f|}), which neither overflows for large |f| nor
/// loses the small term for large negative f.
pub fn bce_with_logits_per_element<const D: usize>(logits: Tensor<D>, labels: Tensor<D>) -> Tensor<D> {
    let softplus = logits
        .clone()
        .clamp_min(0.0)
        .add(logits.clone().abs().neg().exp().log1p());
    softplus.sub(logits.mul(labels))
}

/// Mean binary cross-entropy of logits `f` (n × 1) against labels `y` (n × 1) in {0, 1}.
pub fn bce_with_logits(logits: Tensor<2>, labels: Tensor<2>) -> Tensor<1> {
    bce_with_logits_per_element(logits, labels).mean()
}

/// λ1 Σ|θ| + λ2 Σθ² over all weight tensors, as a one-element tensor.
pub fn penalty(weights: &[Tensor<2>], config: RegularisationConfig) -> Tensor<1> {
    let mut total: Option<Tensor<1>> = None;
    for w in weights {
        let mut term: Option<Tensor<1>> = None;
        if config.l1 != 0.0 {
            term = Some(w.clone().abs().sum().mul_scalar(config.l1));
        }
        if config.l2 != 0.0 {
            let l2 = w.clone().square().sum().mul_scalar(config.l2);
            term = Some(match term {
                Some(t) => t.add(l2),
                None => l2,
            });
        }
        if let Some(term) = term {
            total = Some(match total {
                Some(t) => t.add(term),
                None => term,
            });
        }
    }
    total.unwrap_or_else(|| {
        let options = TensorCreationOptions::new(weights[0].device()).with_dtype(weights[0].dtype());
        Tensor::<1>::zeros([1], options)
    })
}
