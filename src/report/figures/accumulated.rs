//! Eigenfunction figures at the key times: accumulated accuracy against the number of
//! eigenfunctions, generative power per eigenfunction, and the minimum number of eigenfunctions
//! reaching the target accuracy through training.
//!
//! A run contributes to the curve of a key time with its first checkpoint at or after that time.
//! Runs that never reached the key time are left out, and the legend counts them.

use std::path::PathBuf;

use plotters::chart::SeriesLabelPosition;

use crate::error::Result;
use crate::report::load::{AnalysisArrays, DimensionGroup};
use crate::report::plot::{
    Band, FIGURE_HEIGHT, FIGURE_WIDTH, LineChart, Marker, PALETTE, Scale, draw_line_chart, key_time_color, write_svg,
};
use crate::report::stats::{KeyTime, checkpoint_at_or_after};

use super::training::checkpoint_series;
use super::{FigureTarget, band, group_caption, key_time_markers};

/// Rows of an analysis array at a key time, one per run that reached it.
pub struct KeyTimeRows {
    /// One row per run that reached the key time and has a checkpoint at or after it.
    pub rows: Vec<Vec<f64>>,
    /// Runs in the group.
    pub runs: usize,
}

/// Collects the row `pick(arrays, checkpoint index)` of every run at its own `key_time`.
pub fn key_time_rows(
    group: &DimensionGroup,
    key_time: KeyTime,
    pick: impl Fn(&AnalysisArrays, usize) -> Vec<f64>,
) -> KeyTimeRows {
    let mut rows = Vec::new();
    for run in &group.runs {
        let Some(arrays) = &run.arrays else { continue };
        let Some(step) = key_time.step(&run.record) else { continue };
        let Some(checkpoint) = checkpoint_at_or_after(&arrays.checkpoint_steps, step) else { continue };
        rows.push(pick(arrays, checkpoint));
    }
    KeyTimeRows {
        rows,
        runs: group.runs.len(),
    }
}

/// Builds one band per key time t_0, t_m, t_s, t_g over x = 1, 2, …. A key time that no run
/// reached gets an empty band with a "not reached" legend.
fn key_time_bands(group: &DimensionGroup, pick: impl Fn(&AnalysisArrays, usize) -> Vec<f64>) -> Vec<Band> {
    KeyTime::ALL
        .iter()
        .map(|&key_time| {
            let rows = key_time_rows(group, key_time, &pick);
            let length = rows.rows.iter().map(Vec::len).max().unwrap_or(0);
            let xs: Vec<f64> = (1..=length).map(|i| i as f64).collect();
            let label = if rows.rows.is_empty() {
                format!("{}: not reached (0/{} seeds)", key_time.symbol(), rows.runs)
            } else {
                format!("at {} ({}/{} seeds)", key_time.symbol(), rows.rows.len(), rows.runs)
            };
            let mut band = band(label, key_time_color(key_time), &xs, &rows.rows);
            band.dashed = key_time == KeyTime::Initial;
            band
        })
        .collect()
}

fn index_markers(group: &DimensionGroup) -> Vec<Marker> {
    vec![
        Marker {
            label: format!("i = k = {}", group.k),
            tag: "k".to_string(),
            x: Some(group.k as f64),
            color: PALETTE[5],
        },
        Marker {
            label: format!("i = d = {}", group.d),
            tag: "d".to_string(),
            x: Some(group.d as f64),
            color: PALETTE[0],
        },
    ]
}

/// Renders `accumulated-accuracy-train`, `accumulated-accuracy-test`, `generative-power` and
/// `min-eigenfunctions`.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when a figure cannot be written.
pub fn render(group: &DimensionGroup, target: &FigureTarget) -> Result<Vec<PathBuf>> {
    let caption = group_caption(group);
    let mut charts = Vec::new();
    for (name, set) in [("accumulated-accuracy-train", "train"), ("accumulated-accuracy-test", "test")] {
        let bands = key_time_bands(group, |arrays, checkpoint| {
            let matrix = if set == "train" { &arrays.accumulated_train } else { &arrays.accumulated_test };
            matrix.row(checkpoint).to_vec()
        });
        let n = bands.iter().flat_map(|b| b.points.last()).map(|p| p.0).fold(1.0, f64::max);
        let mut chart = LineChart::fitted(
            format!("Accuracy of the first i eigenfunctions ({set} set), {caption}"),
            "number of eigenfunctions i (log scale)".to_string(),
            format!("{set} accuracy of f_i (fraction correct)"),
            bands,
            index_markers(group),
            false,
        );
        chart.x_scale = Scale::Log(0.9, n.max(group.d as f64) * 1.1);
        chart.legend = SeriesLabelPosition::LowerRight;
        charts.push((name, chart));
    }

    let bands = key_time_bands(group, |arrays, checkpoint| arrays.generative_power.row(checkpoint).to_vec());
    let count = bands.iter().flat_map(|b| b.points.last()).map(|p| p.0).fold(1.0, f64::max);
    let mut power = LineChart::fitted(
        format!("Generative power of each eigenfunction, {caption}"),
        "eigenfunction index i".to_string(),
        "g_i: saliency share on the k relevant bits".to_string(),
        bands,
        index_markers(group),
        false,
    );
    power.x_scale = Scale::Linear(0.5, count.max(group.d as f64) + 0.5);
    power.y_scale = Scale::Linear(-0.02, 1.02);
    charts.push(("generative-power", power));

    let accuracy = group
        .records()
        .next()
        .map_or(0.99, |r| r.config.analysis.eigen_accuracy);
    let missing = f64::NAN;
    let (steps, test) = checkpoint_series(group, |c| c.min_eigenfunctions_test.map_or(missing, |v| v as f64));
    let (_, train) = checkpoint_series(group, |c| c.min_eigenfunctions_train.map_or(missing, |v| v as f64));
    let minimum = LineChart::fitted(
        format!("Minimum eigenfunctions for {:.0} % accuracy, {caption}", accuracy * 100.0),
        "checkpoint (training step)".to_string(),
        "smallest i with accuracy of f_i ≥ target".to_string(),
        vec![
            band("test set (seeds that reach the target)", PALETTE[1], &steps, &test),
            band("train set (seeds that reach the target)", PALETTE[0], &steps, &train),
        ],
        key_time_markers(group),
        false,
    );
    charts.push(("min-eigenfunctions", minimum));

    let mut written = Vec::new();
    for (name, chart) in charts {
        let path = target.path(name);
        write_svg(&path, (FIGURE_WIDTH, FIGURE_HEIGHT), |area| draw_line_chart(area, &chart))?;
        written.push(path);
    }
    Ok(written)
}
