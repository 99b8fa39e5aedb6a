//! Training curves (accuracy and BCE loss per step) and the linearised predictor's accuracy and
//! MSE per checkpoint.

use std::path::PathBuf;

use crate::analysis::CheckpointSummary;
use crate::error::Result;
use crate::report::load::DimensionGroup;
use crate::report::plot::{LineChart, PALETTE, draw_line_chart, write_svg, FIGURE_HEIGHT, FIGURE_WIDTH};

use super::{FigureTarget, band, group_caption, key_time_markers};

/// Renders `training-accuracy` and `training-loss`.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when a figure cannot be written.
pub fn render(group: &DimensionGroup, target: &FigureTarget) -> Result<Vec<PathBuf>> {
    let length = group.records().map(|r| r.metrics.len()).max().unwrap_or(0);
    let steps: Vec<f64> = (0..length).map(|s| s as f64).collect();
    let column = |pick: fn(&crate::results::MetricSeries) -> &Vec<f64>| -> Vec<Vec<f64>> {
        group.records().map(|r| pick(&r.metrics).clone()).collect()
    };

    let accuracy = LineChart::fitted(
        format!("Accuracy during training, {}", group_caption(group)),
        "training step".to_string(),
        "accuracy (fraction correct)".to_string(),
        vec![
            band("train", PALETTE[0], &steps, &column(|m| &m.train_accuracy)),
            band("test", PALETTE[1], &steps, &column(|m| &m.test_accuracy)),
        ],
        key_time_markers(group),
        false,
    );
    let mut accuracy = accuracy;
    accuracy.legend = plotters::chart::SeriesLabelPosition::LowerRight;
    let loss = LineChart::fitted(
        format!("Loss during training, {}", group_caption(group)),
        "training step".to_string(),
        "mean BCE loss (nats, log scale)".to_string(),
        vec![
            band("train", PALETTE[0], &steps, &column(|m| &m.train_loss)),
            band("test", PALETTE[1], &steps, &column(|m| &m.test_loss)),
        ],
        key_time_markers(group),
        true,
    );
    let mut written = Vec::new();
    for (name, chart) in [("training-accuracy", accuracy), ("training-loss", loss)] {
        let path = target.path(name);
        write_svg(&path, (FIGURE_WIDTH, FIGURE_HEIGHT), |area| draw_line_chart(area, &chart))?;
        written.push(path);
    }
    Ok(written)
}

/// Per-seed series of a checkpoint quantity, with the checkpoint steps of the longest run as x.
pub fn checkpoint_series(group: &DimensionGroup, pick: impl Fn(&CheckpointSummary) -> f64) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut steps: Vec<f64> = Vec::new();
    let mut series = Vec::new();
    for record in group.records() {
        let Some(analysis) = &record.analysis else { continue };
        if analysis.checkpoints.len() > steps.len() {
            steps = analysis.checkpoints.iter().map(|c| c.step as f64).collect();
        }
        series.push(analysis.checkpoints.iter().map(&pick).collect());
    }
    (steps, series)
}

/// Renders `linearised-accuracy` and `linearised-loss`.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when a figure cannot be written.
pub fn render_linearised(group: &DimensionGroup, target: &FigureTarget) -> Result<Vec<PathBuf>> {
    let (steps, train_accuracy) = checkpoint_series(group, |c| c.linearised.train_accuracy);
    let (_, test_accuracy) = checkpoint_series(group, |c| c.linearised.test_accuracy);
    let (_, train_mse) = checkpoint_series(group, |c| c.linearised.train_mse);
    let (_, test_mse) = checkpoint_series(group, |c| c.linearised.test_mse);

    let mut accuracy = LineChart::fitted(
        format!("Linearised NTK predictor accuracy per checkpoint, {}", group_caption(group)),
        "checkpoint (training step)".to_string(),
        "accuracy of f_lin (fraction correct)".to_string(),
        vec![
            band("train", PALETTE[0], &steps, &train_accuracy),
            band("test", PALETTE[1], &steps, &test_accuracy),
        ],
        key_time_markers(group),
        false,
    );
    accuracy.legend = plotters::chart::SeriesLabelPosition::LowerRight;
    let loss = LineChart::fitted(
        format!("Linearised NTK predictor MSE per checkpoint, {}", group_caption(group)),
        "checkpoint (training step)".to_string(),
        "mean (f_lin(x) − y)² (log scale)".to_string(),
        vec![
            band("train", PALETTE[0], &steps, &train_mse),
            band("test", PALETTE[1], &steps, &test_mse),
        ],
        key_time_markers(group),
        true,
    );
    let mut written = Vec::new();
    for (name, chart) in [("linearised-accuracy", accuracy), ("linearised-loss", loss)] {
        let path = target.path(name);
        write_svg(&path, (FIGURE_WIDTH, FIGURE_HEIGHT), |area| draw_line_chart(area, &chart))?;
        written.push(path);
    }
    Ok(written)
}
