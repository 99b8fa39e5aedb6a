//! One full training step of the model of `experiments/paper.toml` on flex: forward and backward over the 500
//! training points, the Adam update, and the test-set forward pass for the metrics
//! (n = 500 + 500, d = 35, width 64, depth 2).

use criterion::{Criterion, criterion_group, criterion_main};
use grokking_ntk::backend::BackendKind;
use grokking_ntk::model::{MlpConfig, Parameterisation};
use grokking_ntk::task::SparseParityConfig;
use grokking_ntk::training::trainer::TrainingConfig;
use grokking_ntk::training::{AdamConfig, RegularisationConfig, Trainer};

fn training_step(c: &mut Criterion) {
    let device = BackendKind::Flex.device().expect("flex is always available");
    let data = SparseParityConfig { k: 3, d: 35, n_train: 500, n_test: 500 }.generate(0).unwrap();
    let config = TrainingConfig {
        model: MlpConfig { depth: 2, width: 64, parameterisation: Parameterisation::Standard, sigma_init: 1.0 },
        optimiser: AdamConfig::default(),
        regularisation: RegularisationConfig { l1: 1e-3, l2: 0.0 },
        steps: usize::MAX,
        seed: 0,
        checkpoints: vec![],
    };
    let mut trainer = Trainer::new(&config, &data, &device);
    c.bench_function("training step (paper model, flex)", |b| {
        b.iter(|| std::hint::black_box(trainer.evaluate(true)))
    });
}

fn tuned() -> Criterion {
    grokking_ntk::allocator::tune_for_tensor_buffers();
    Criterion::default()
}

criterion_group! {
    name = benches;
    config = tuned();
    targets = training_step
}
criterion_main!(benches);
