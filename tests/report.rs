//! Figures and the reproduction report, rendered from synthetic results written to a temporary
//! folder: every figure is well-formed SVG, the claims table follows the results, and runs that
//! never reach a key time render with that time shown as absent.

use std::fs;
use std::path::{Path, PathBuf};

use grokking_ntk::analysis::checkpoint::{LinearisedMetrics, SpectrumSummary};
use grokking_ntk::analysis::{AnalysisRecord, CheckpointSummary};
use grokking_ntk::backend::BackendKind;
use grokking_ntk::recipe::{KernelMethod, Recipe, RunSpec};
use grokking_ntk::report::figures::{ANALYSIS_FIGURES, TRAINING_FIGURES, figure_path};
use grokking_ntk::report::{Claim, ClaimRow, ReportSummary, ReportTarget, Verdict, render};
use grokking_ntk::results::{MachineInfo, MetricSeries, RECORD_FORMAT, RunPaths, RunRecord, Timings, write_npy};
use grokking_ntk::training::{KeyTimes, TrainingStatus};
use ndarray::{Array1, Array2, Array3};

const RECIPE: &str = r#"
name = "synthetic"

[task]
k = 3
d = [10, 14]
n_train = 40
n_test = 40

[model]
depth = 2
width = 6
parameterisation = "standard"
sigma_init = 1.0

[optimiser]
lr = 0.03
l1 = 1e-3

[training]
steps = 400
seed = [0, 1, 2]

[checkpoints]
kind = "uniform"
every = 20

[analysis]
saliency_eigenfunctions = 20
"#;

/// Distance the synthetic kernel travels between t_s and t_g, in alignment-distance units.
const RICH_DISTANCE: f64 = 0.5;

/// How a synthetic run behaves.
#[derive(Debug, Clone, Copy)]
struct Behaviour {
    t_m: usize,
    /// Onset and generalisation; `None` for a run that never generalises.
    grokking: Option<(usize, usize)>,
    /// Alignment distance the kernel moves between t_m and t_s (0 for a lazy block).
    lazy_drift: f64,
    /// Index (1-based) of the late eigenfunctions that focus on the relevant bits again.
    late_index: usize,
}

fn grokking_run(seed: u64, d: usize) -> Behaviour {
    let offset = 20 * seed as usize;
    Behaviour {
        t_m: 60,
        grokking: Some((140 + offset, 240 + offset)),
        lazy_drift: 0.0,
        late_index: d,
    }
}

fn never_grokking_run() -> Behaviour {
    Behaviour {
        t_m: 80,
        grokking: None,
        lazy_drift: 0.0,
        late_index: 0,
    }
}

fn recipe(dir: &Path) -> Recipe {
    let path = dir.join("synthetic.toml");
    fs::write(&path, RECIPE).unwrap();
    Recipe::from_file(&path).unwrap()
}

/// Position of the synthetic kernel along a line; the alignment distance of two checkpoints is
/// the difference of their positions.
fn kernel_position(step: usize, behaviour: &Behaviour) -> f64 {
    let t_m = behaviour.t_m as f64;
    let s = step as f64;
    let before = 0.1 * s.min(t_m) / t_m;
    match behaviour.grokking {
        None => before,
        Some((t_s, t_g)) => {
            let (t_s, t_g) = (t_s as f64, t_g as f64);
            let lazy = behaviour.lazy_drift * ((s - t_m) / (t_s - t_m)).clamp(0.0, 1.0);
            let rich = RICH_DISTANCE * ((s - t_s) / (t_g - t_s)).clamp(0.0, 1.0);
            before + lazy + rich
        }
    }
}

/// Generalisation progress in [0, 1]: 0 before t_s, 1 from t_g on.
fn progress(step: usize, behaviour: &Behaviour) -> f64 {
    match behaviour.grokking {
        None => 0.0,
        Some((t_s, t_g)) => ((step as f64 - t_s as f64) / (t_g - t_s) as f64).clamp(0.0, 1.0),
    }
}

fn write_run(out: &Path, spec: &RunSpec, behaviour: Behaviour) {
    let config = &spec.config;
    let (k, d, n) = (config.task.k, config.task.d, config.task.n_train);
    let salient = config.analysis.saliency_eigenfunctions;
    let width = config.model.width;
    let steps = &spec.checkpoint_steps;
    let count = steps.len();
    let reached_g = |step: usize| behaviour.grokking.is_some_and(|(_, t_g)| step >= t_g);

    let mut metrics = MetricSeries::default();
    for step in 0..=config.training.steps {
        let train = (0.5 + 0.5 * step as f64 / behaviour.t_m as f64).min(1.0);
        let test = 0.5 + 0.5 * progress(step, &behaviour);
        metrics.train_accuracy.push(train);
        metrics.test_accuracy.push(test);
        metrics.train_loss.push(0.7 * (1.05 - train));
        metrics.test_loss.push(0.7 * (1.05 - test));
        metrics.penalty.push(0.01);
    }

    let positions: Vec<f64> = steps.iter().map(|&s| kernel_position(s, &behaviour)).collect();
    let distance = Array2::from_shape_fn((count, count), |(a, b)| (positions[a] - positions[b]).abs());
    let power = Array2::from_shape_fn((count, salient), |(c, i)| {
        let index = i + 1;
        if c == 0 && i == 0 {
            f64::NAN
        } else if !reached_g(steps[c]) {
            k as f64 / d as f64
        } else if index <= k {
            0.9
        } else if index == behaviour.late_index || index == behaviour.late_index + 1 {
            0.85
        } else if index < behaviour.late_index {
            0.02
        } else {
            0.05
        }
    });
    let saliency = Array3::from_shape_fn((count, salient, d), |(c, i, j)| {
        let g = power[[c, i]];
        let g = if g.is_finite() { g } else { 0.0 };
        if j < k { g / k as f64 } else { (1.0 - g) / (d - k) as f64 }
    });
    let accumulated = Array2::from_shape_fn((count, n), |(c, i)| {
        let needed = 40.0 - 30.0 * progress(steps[c], &behaviour);
        0.5 + 0.5 * ((i + 1) as f64 / needed).min(1.0)
    });
    let w1 = Array3::from_shape_fn((count, width, d), |(c, row, col)| {
        let shrink = if col < k { 1.0 } else { 1.0 - 0.9 * progress(steps[c], &behaviour) };
        (((row * d + col) as f32) * 0.7).sin() * shrink as f32
    });

    let checkpoints: Vec<CheckpointSummary> = steps
        .iter()
        .enumerate()
        .map(|(c, &step)| {
            let q = progress(step, &behaviour);
            let before_onset = behaviour.grokking.is_none_or(|(t_s, _)| step < t_s);
            CheckpointSummary {
                step,
                linearised: LinearisedMetrics {
                    train_accuracy: 1.0,
                    test_accuracy: 0.5 + 0.5 * q,
                    train_mse: 1e-6,
                    test_mse: 0.25 * (1.0 - q) + 1e-3,
                },
                spectrum: SpectrumSummary {
                    max_eigenvalue: 100.0,
                    min_eigenvalue: 0.1,
                    condition_number: Some(1000.0),
                    rank: n,
                    trace: 500.0,
                    psd: true,
                },
                min_eigenfunctions_train: Some(40 - (step / 20).min(28)),
                min_eigenfunctions_test: (!before_onset).then(|| (30.0 - 18.0 * q).round() as usize),
                kernel_target_alignment: step as f64 / 400.0,
                parameter_distance: step as f64 / 400.0,
                ntk_movement: (c > 0).then(|| distance[[c - 1, c]]),
                ntk_relative_change: (c > 0).then(|| 2.0 * distance[[c - 1, c]] + 1e-4),
                layer_trace_shares: vec![0.7, 0.3],
                seconds: 0.01,
            }
        })
        .collect();

    let paths = RunPaths::new(out, "synthetic", &spec.id);
    let dir = paths.analysis_dir();
    let steps_u64: Vec<u64> = steps.iter().map(|&s| s as u64).collect();
    write_npy(&dir.join("checkpoint_steps.npy"), &Array1::from(steps_u64)).unwrap();
    write_npy(&dir.join("accumulated_accuracy_train.npy"), &accumulated).unwrap();
    write_npy(&dir.join("accumulated_accuracy_test.npy"), &accumulated).unwrap();
    write_npy(&dir.join("saliency.npy"), &saliency).unwrap();
    write_npy(&dir.join("generative_power.npy"), &power).unwrap();
    write_npy(&dir.join("alignment_distance.npy"), &distance).unwrap();
    write_npy(&dir.join("alignment_distance_centred.npy"), &distance).unwrap();
    write_npy(&dir.join("w1.npy"), &w1).unwrap();

    let record = RunRecord {
        format: RECORD_FORMAT,
        crate_version: "0.1.0".to_string(),
        recipe: "synthetic".to_string(),
        run_id: spec.id.clone(),
        backend: BackendKind::Flex,
        machine: MachineInfo::current(),
        started_unix_seconds: 0.0,
        config: config.clone(),
        checkpoint_steps: steps.clone(),
        status: TrainingStatus::Finished,
        timings: Timings::default(),
        key_times: KeyTimes {
            t_m: Some(behaviour.t_m),
            t_s: behaviour.grokking.map(|(t_s, _)| t_s),
            t_g: behaviour.grokking.map(|(_, t_g)| t_g),
        },
        metrics,
        analysis: Some(AnalysisRecord {
            kernel: KernelMethod::Structured,
            precision: "f64".to_string(),
            saliency_eigenfunctions: salient,
            checkpoints,
            arrays: Vec::new(),
        }),
    };
    record.write(&paths.record()).unwrap();
}

/// Writes every run of the synthetic recipe with the behaviour `behaviour(seed, d)` and renders
/// the report beside the results.
fn render_synthetic(dir: &Path, behaviour: impl Fn(u64, usize) -> Behaviour) -> ReportSummary {
    let out = dir.join("results");
    for spec in &recipe(dir).runs {
        write_run(&out, spec, behaviour(spec.config.training.seed, spec.config.task.d));
    }
    render(&out, "synthetic", &ReportTarget::beside_results(&out, "synthetic"), "sweep --report").unwrap()
}

fn claim(summary: &ReportSummary, claim: Claim) -> &ClaimRow {
    summary.claims.iter().find(|row| row.claim == claim).unwrap()
}

fn verdict_for(row: &ClaimRow, d: usize) -> Verdict {
    row.findings.iter().find(|f| f.d == d).unwrap().verdict
}

fn figures_dir(dir: &Path) -> PathBuf {
    dir.join("results").join("synthetic").join("figures")
}

#[test]
fn every_figure_is_well_formed_svg() {
    let dir = tempfile::tempdir().unwrap();
    let summary = render_synthetic(dir.path(), |seed, d| if d == 10 { grokking_run(seed, d) } else { never_grokking_run() });

    let expected = 2 * (TRAINING_FIGURES.len() + ANALYSIS_FIGURES.len());
    assert_eq!(summary.figures.len(), expected, "figures written: {:?}", summary.figures);
    for d in [10, 14] {
        for name in TRAINING_FIGURES.iter().chain(&ANALYSIS_FIGURES) {
            let path = figure_path(&figures_dir(dir.path()), d, name);
            let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let document = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let root = document.root_element();
            assert_eq!(root.tag_name().name(), "svg", "{}", path.display());
            let texts = root.descendants().filter(|n| n.has_tag_name("text")).count();
            assert!(texts >= 5, "{} has {texts} text elements (title, axes, legend expected)", path.display());
            let shapes = root
                .descendants()
                .filter(|n| n.has_tag_name("polyline") || n.has_tag_name("polygon") || n.has_tag_name("rect"))
                .count();
            assert!(shapes > 0, "{} draws no shapes", path.display());
        }
    }
    assert_eq!(summary.runs, 6);
}

#[test]
fn curves_show_the_seed_mean_key_times() {
    let dir = tempfile::tempdir().unwrap();
    render_synthetic(dir.path(), grokking_run);
    let text = fs::read_to_string(figure_path(&figures_dir(dir.path()), 10, "training-accuracy")).unwrap();
    // Seeds 0, 1, 2 have t_s = 140, 160, 180 and t_g = 240, 260, 280.
    assert!(text.contains("t_m = 60 ± 0 (3/3 seeds)"), "legend lacks t_m");
    assert!(text.contains("t_s = 160 ± 20 (3/3 seeds)"), "legend lacks t_s");
    assert!(text.contains("t_g = 260 ± 20 (3/3 seeds)"), "legend lacks t_g");
}

#[test]
fn absent_key_times_render_as_not_reached() {
    let dir = tempfile::tempdir().unwrap();
    let summary = render_synthetic(dir.path(), |seed, d| if d == 10 { grokking_run(seed, d) } else { never_grokking_run() });
    let figures = figures_dir(dir.path());

    let accuracy = fs::read_to_string(figure_path(&figures, 14, "training-accuracy")).unwrap();
    assert!(accuracy.contains("t_s not reached (0/3 seeds)"), "training curve legend lacks absent t_s");
    assert!(accuracy.contains("t_g not reached (0/3 seeds)"), "training curve legend lacks absent t_g");
    let accumulated = fs::read_to_string(figure_path(&figures, 14, "accumulated-accuracy-test")).unwrap();
    assert!(accumulated.contains("t_g: not reached (0/3 seeds)"), "accumulated accuracy legend lacks absent t_g");
    let weights = fs::read_to_string(figure_path(&figures, 14, "w1")).unwrap();
    assert!(weights.contains("t_g not reached"), "W_1 figure lacks the absent t_g panel");
    let alignment = fs::read_to_string(figure_path(&figures, 14, "alignment-distance")).unwrap();
    assert!(alignment.contains("not reached: t_s, t_g"), "alignment figure lacks the absent key times");

    let report = fs::read_to_string(&summary.report).unwrap();
    assert!(report.contains("(t_s, t_g not reached)"), "report does not list the runs without t_s and t_g");
    assert!(report.contains("| 14 | 3 | 80 ± 0 (3/3) | – (0/3) | – (0/3) |"), "key-time row of d = 14 is wrong");
}

#[test]
fn claims_hold_on_grokking_runs() {
    let dir = tempfile::tempdir().unwrap();
    let summary = render_synthetic(dir.path(), grokking_run);
    for row in &summary.claims {
        for finding in &row.findings {
            assert_eq!(finding.verdict, Verdict::Holds, "{:?} at d = {}: {}", row.claim, finding.d, finding.describe());
            assert_eq!(finding.satisfied, 3, "{:?} at d = {}", row.claim, finding.d);
        }
        assert_eq!(row.verdict, Verdict::Holds, "{:?}: {:?}", row.claim, row.note);
    }
    let index = claim(&summary, Claim::RelevantIndexShiftsWithD);
    let means: Vec<f64> = index.findings.iter().map(|f| f.quantities[0].1.unwrap().mean).collect();
    assert_eq!(means, vec![10.0, 14.0]);
}

#[test]
fn claim_table_is_filled_from_results() {
    let dir = tempfile::tempdir().unwrap();
    let summary = render_synthetic(dir.path(), grokking_run);
    let report = fs::read_to_string(&summary.report).unwrap();
    let grokking = claim(&summary, Claim::GrokkingAfterMemorisation);
    let d10 = &grokking.findings[0];
    assert_eq!(d10.d, 10);
    assert_eq!(d10.quantities[0].1.unwrap().mean, 60.0);
    assert_eq!(d10.quantities[1].1.unwrap().mean, 260.0);
    assert!(report.contains("d = 10: t_m = 60.0 ± 0.0, t_g = 260 ± 20"), "claim 1 row lacks the measured times");
    assert_eq!(report.matches("| **holds** |").count(), Claim::ALL.len(), "every claim row should say holds");
    assert!(report.contains("| backend | flex |"), "report lacks the backend");
    assert!(report.contains("| report by | `sweep --report` |"), "report lacks the command");
    assert!(report.contains("![training-accuracy](figures/d10-training-accuracy.svg)"), "report lacks figure links");
}

#[test]
fn run_that_never_groks_fails_grokking_claim() {
    let dir = tempfile::tempdir().unwrap();
    let summary = render_synthetic(dir.path(), |seed, d| if d == 10 { grokking_run(seed, d) } else { never_grokking_run() });
    let grokking = claim(&summary, Claim::GrokkingAfterMemorisation);
    assert_eq!(verdict_for(grokking, 10), Verdict::Holds);
    assert_eq!(verdict_for(grokking, 14), Verdict::Fails);
    assert_eq!(grokking.verdict, Verdict::Mixed);
    let lazy = claim(&summary, Claim::LazyBlock);
    assert_eq!(verdict_for(lazy, 14), Verdict::NotMeasurable, "no t_s and t_g, so no lazy block to measure");
    let index = claim(&summary, Claim::RelevantIndexShiftsWithD);
    assert_eq!(index.verdict, Verdict::NotMeasurable, "only one d has i*: {:?}", index.note);
    let report = fs::read_to_string(&summary.report).unwrap();
    assert!(report.contains("**mixed**"), "report does not show the mixed verdict");
}

#[test]
fn kernel_moving_before_onset_fails_lazy_claim() {
    let dir = tempfile::tempdir().unwrap();
    let summary = render_synthetic(dir.path(), |seed, d| Behaviour {
        lazy_drift: if d == 10 { RICH_DISTANCE } else { 0.0 },
        ..grokking_run(seed, d)
    });
    let lazy = claim(&summary, Claim::LazyBlock);
    assert_eq!(verdict_for(lazy, 10), Verdict::Fails);
    assert_eq!(verdict_for(lazy, 14), Verdict::Holds);
    let moving = claim(&summary, Claim::KernelMovesThenSettles);
    assert_eq!(verdict_for(moving, 14), Verdict::Holds);
}

#[test]
fn fixed_late_index_fails_shift_claim() {
    let dir = tempfile::tempdir().unwrap();
    let summary = render_synthetic(dir.path(), |seed, d| Behaviour {
        late_index: if d == 10 { 13 } else { 11 },
        ..grokking_run(seed, d)
    });
    let index = claim(&summary, Claim::RelevantIndexShiftsWithD);
    assert_eq!(verdict_for(index, 10), Verdict::Holds, "i* = 13 is within the window around d = 10");
    assert_eq!(verdict_for(index, 14), Verdict::Holds, "i* = 11 is within the window around d = 14");
    assert_ne!(index.verdict, Verdict::Holds, "mean i* falls from d = 10 to 14: {:?}", index.note);
}

#[test]
fn render_rejects_folder_without_runs() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("empty")).unwrap();
    let error = render(dir.path(), "empty", &ReportTarget::standalone(&dir.path().join("report")), "sweep --report")
        .unwrap_err();
    assert!(error.to_string().contains("no finished run"), "{error}");
}
