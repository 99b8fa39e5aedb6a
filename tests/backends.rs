//! The same computations on every available backend: flex always, wgpu (a software Vulkan
//! device in CI) when present.

mod common;

use burn::tensor::DType;
use grokking_ntk::analysis::{AnalysisInputs, analyse_checkpoint};
use grokking_ntk::model::{MlpConfig, Parameterisation};
use grokking_ntk::recipe::AnalysisConfig;
use grokking_ntk::task::SparseParityConfig;
use grokking_ntk::training::trainer::TrainingConfig;
use grokking_ntk::training::{AdamConfig, RegularisationConfig, Trainer};

/// Both backends train in f32 and differ only in summation order, so over 20 Adam steps the
/// losses stay within a few f32 ulps per step, far below this.
const CROSS_BACKEND_LOSS_TOLERANCE: f64 = 1e-3;
/// flex analyses in f64 and wgpu in f32; leading eigenvalues and saliency carry f32 round-off
/// amplified by the eigen-gap, which stays below this relative error at these sizes.
const CROSS_BACKEND_ANALYSIS_TOLERANCE: f64 = 1e-3;

fn tiny_task() -> SparseParityConfig {
    SparseParityConfig { k: 3, d: 8, n_train: 48, n_test: 48 }
}

fn tiny_training(steps: usize) -> TrainingConfig {
    TrainingConfig {
        model: MlpConfig { depth: 2, width: 16, parameterisation: Parameterisation::Standard, sigma_init: 1.0 },
        optimiser: AdamConfig::default(),
        regularisation: RegularisationConfig { l1: 1e-3, l2: 0.0 },
        steps,
        seed: 3,
        checkpoints: vec![],
    }
}

#[test]
fn training_memorises_on_every_device() {
    let data = tiny_task().generate(3).unwrap();
    for (backend, device) in common::devices() {
        let mut trainer = Trainer::new(&tiny_training(400), &data, &device);
        let mut last = None;
        for _ in 0..400 {
            last = Some(trainer.evaluate(true));
        }
        let metrics = trainer.evaluate(false);
        assert!(last.unwrap().is_finite(), "{backend}");
        assert_eq!(metrics.train_accuracy, 1.0, "{backend}: {metrics:?}");
    }
}

#[test]
fn flex_and_wgpu_give_the_same_losses() {
    let Some(wgpu) = common::wgpu() else { return };
    let data = tiny_task().generate(5).unwrap();
    let config = tiny_training(20);
    let mut on_flex = Trainer::new(&config, &data, &common::flex());
    let mut on_wgpu = Trainer::new(&config, &data, &wgpu);
    for step in 0..=20 {
        let (a, b) = (on_flex.evaluate(step < 20), on_wgpu.evaluate(step < 20));
        for (name, x, y) in [
            ("train loss", a.train_loss, b.train_loss),
            ("test loss", a.test_loss, b.test_loss),
            ("penalty", a.penalty, b.penalty),
        ] {
            assert!(
                (x - y).abs() <= CROSS_BACKEND_LOSS_TOLERANCE * x.abs().max(1.0),
                "step {step} {name}: flex {x}, wgpu {y}"
            );
        }
    }
}

#[test]
fn flex_and_wgpu_analyse_a_checkpoint_alike() {
    let Some(wgpu) = common::wgpu() else { return };
    let data = tiny_task().generate(6).unwrap();
    let inputs = AnalysisInputs::from_dataset(&data);
    let weights = tiny_training(0).model.init_weights(data.d, 6);
    let first = weights.flatten();
    let config = AnalysisConfig { saliency_eigenfunctions: 5, tile_size: 32, ..AnalysisConfig::default() };
    let analyse = |device, dtype| {
        analyse_checkpoint(&config, &inputs, 0, &weights, &first, None, &device, dtype).unwrap()
    };
    let on_flex = analyse(common::flex(), DType::F64);
    let on_wgpu = analyse(wgpu, DType::F32);

    let relative = |a: f64, b: f64| (a - b).abs() / a.abs().max(1e-12);
    for i in 0..5 {
        let (a, b) = (on_flex.eigenvalues[i], on_wgpu.eigenvalues[i]);
        assert!(relative(a, b) < CROSS_BACKEND_ANALYSIS_TOLERANCE, "ω_{}: {a} vs {b}", i + 1);
        let (a, b) = (on_flex.generative_power[i], on_wgpu.generative_power[i]);
        assert!((a - b).abs() < CROSS_BACKEND_ANALYSIS_TOLERANCE, "g_{}: {a} vs {b}", i + 1);
    }
    for (a, b) in on_flex.gram.values.iter().zip(&on_wgpu.gram.values) {
        assert!((a - b).abs() < CROSS_BACKEND_ANALYSIS_TOLERANCE * a.abs().max(1.0), "Gram entry {a} vs {b}");
    }
    let (a, b) = (&on_flex.summary, &on_wgpu.summary);
    assert!((a.kernel_target_alignment - b.kernel_target_alignment).abs() < CROSS_BACKEND_ANALYSIS_TOLERANCE);
    assert_eq!(a.layer_trace_shares.len(), b.layer_trace_shares.len());
}
