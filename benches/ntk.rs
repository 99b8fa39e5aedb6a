//! The NTK analysis on flex (f64): kernels by both methods, eigendecomposition, saliency of 50
//! eigenfunctions, and the whole analysis of one checkpoint of the 2-layer model of the paper's
//! recipe `experiments/paper.toml`
//! (n = 500 + 500, d = 35, width 64, depth 2, weights at initialisation).

use burn::tensor::DType;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use grokking_ntk::analysis::{AnalysisInputs, analyse_checkpoint};
use grokking_ntk::backend::BackendKind;
use grokking_ntk::eigen::EigenSystem;
use grokking_ntk::model::{Matrix, MlpConfig, Parameterisation};
use grokking_ntk::ntk::kernel::{ContractionNtk, Kernel, StructuredNtk};
use grokking_ntk::ntk::saliency::eigenfunction_saliency;
use grokking_ntk::recipe::AnalysisConfig;
use grokking_ntk::task::SparseParityConfig;

fn paper_model() -> MlpConfig {
    MlpConfig { depth: 2, width: 64, parameterisation: Parameterisation::Standard, sigma_init: 1.0 }
}

fn inputs(n: usize) -> Matrix<f64> {
    let data = SparseParityConfig { k: 3, d: 35, n_train: n, n_test: n }.generate(0).unwrap();
    Matrix::from_f32(&data.x_train, n, 35)
}

fn kernels(c: &mut Criterion) {
    let device = BackendKind::Flex.device().unwrap();
    let mlp = paper_model().init_weights(35, 0).to_device(&device, DType::F64);
    let mut group = c.benchmark_group("ntk");
    group.sample_size(10);
    for n in [500, 1000, 2000] {
        let x = inputs(n);
        let structured = StructuredNtk { mlp: &mlp, tile_size: 1024 };
        let contraction = ContractionNtk { mlp: &mlp, tile_size: 1024, chunk: 128 };
        group.bench_with_input(BenchmarkId::new("structured gram", n), &x, |b, x| b.iter(|| structured.gram(x)));
        group.bench_with_input(BenchmarkId::new("contraction gram", n), &x, |b, x| b.iter(|| contraction.gram(x)));
        group.bench_with_input(BenchmarkId::new("structured cross", n), &x, |b, x| b.iter(|| structured.cross(x, x)));
        group.bench_with_input(BenchmarkId::new("contraction cross", n), &x, |b, x| b.iter(|| contraction.cross(x, x)));
    }
    group.finish();
}

fn eigen(c: &mut Criterion) {
    let device = BackendKind::Flex.device().unwrap();
    let mlp = paper_model().init_weights(35, 0).to_device(&device, DType::F64);
    let mut group = c.benchmark_group("eigen");
    group.sample_size(10);
    for n in [500, 1000] {
        let gram = StructuredNtk { mlp: &mlp, tile_size: 1024 }.gram(&inputs(n));
        group.bench_with_input(BenchmarkId::new("eigendecomposition", n), &gram, |b, gram| {
            b.iter(|| EigenSystem::new(gram).unwrap())
        });
    }
    group.finish();
}

fn saliency(c: &mut Criterion) {
    let device = BackendKind::Flex.device().unwrap();
    let mlp = paper_model().init_weights(35, 0).to_device(&device, DType::F64);
    let data = SparseParityConfig { k: 3, d: 35, n_train: 500, n_test: 500 }.generate(0).unwrap();
    let inputs = AnalysisInputs::from_dataset(&data);
    let eigen = EigenSystem::new(&StructuredNtk { mlp: &mlp, tile_size: 1024 }.gram(&inputs.x_train)).unwrap();
    let mut group = c.benchmark_group("saliency");
    group.sample_size(10);
    group.bench_function("50 eigenfunctions, n = 500", |b| {
        b.iter(|| eigenfunction_saliency(&mlp, &inputs.x_train, &inputs.y_train, &eigen, 50, 1e-10, 3))
    });
    group.finish();
}

fn checkpoint(c: &mut Criterion) {
    let device = BackendKind::Flex.device().unwrap();
    let data = SparseParityConfig { k: 3, d: 35, n_train: 500, n_test: 500 }.generate(0).unwrap();
    let inputs = AnalysisInputs::from_dataset(&data);
    let weights = paper_model().init_weights(35, 0);
    let first = weights.flatten();
    let config = AnalysisConfig::default();
    let mut group = c.benchmark_group("checkpoint analysis");
    group.sample_size(10);
    group.bench_function("paper model, n = 500 + 500", |b| {
        b.iter(|| analyse_checkpoint(&config, &inputs, 0, &weights, &first, None, &device, DType::F64).unwrap())
    });
    group.finish();
}

fn tuned() -> Criterion {
    grokking_ntk::allocator::tune_for_tensor_buffers();
    Criterion::default()
}

criterion_group! {
    name = benches;
    config = tuned();
    targets = kernels, eigen, saliency, checkpoint
}
criterion_main!(benches);
