//! Analyses beyond the paper, per checkpoint: kernel–target alignment, parameter distance, NTK
//! movement and relative change, and each layer's share of the NTK trace.

use std::path::PathBuf;

use crate::error::Result;
use crate::report::load::DimensionGroup;
use crate::report::plot::{LineChart, PALETTE, draw_line_chart, write_svg, FIGURE_HEIGHT, FIGURE_WIDTH};

use super::training::checkpoint_series;
use super::{FigureTarget, band, group_caption, key_time_markers};

/// Renders `kernel-target-alignment`, `parameter-distance`, `ntk-movement`, `ntk-relative-change`
/// and `layer-trace-shares`.
///
/// # Errors
/// [`Error::Io`](crate::Error::Io) when a figure cannot be written.
pub fn render(group: &DimensionGroup, target: &FigureTarget) -> Result<Vec<PathBuf>> {
    let caption = group_caption(group);
    let mut charts = Vec::new();

    let (steps, alignment) = checkpoint_series(group, |c| c.kernel_target_alignment);
    charts.push((
        "kernel-target-alignment",
        LineChart::fitted(
            format!("Centred kernel–target alignment, {caption}"),
            "checkpoint (training step)".to_string(),
            "alignment of Θ(X, X) with y y^T (unitless)".to_string(),
            vec![band("alignment", PALETTE[0], &steps, &alignment)],
            key_time_markers(group),
            false,
        ),
    ));

    let (_, distance) = checkpoint_series(group, |c| c.parameter_distance);
    charts.push((
        "parameter-distance",
        LineChart::fitted(
            format!("Parameter distance from the first checkpoint, {caption}"),
            "checkpoint (training step)".to_string(),
            "‖θ − θ_0‖ / ‖θ_0‖ (unitless)".to_string(),
            vec![band("distance", PALETTE[0], &steps, &distance)],
            key_time_markers(group),
            false,
        ),
    ));

    // The first checkpoint has no previous one; its NaN is left out of the mean.
    let (_, movement) = checkpoint_series(group, |c| c.ntk_movement.unwrap_or(f64::NAN));
    charts.push((
        "ntk-movement",
        LineChart::fitted(
            format!("NTK alignment distance to the previous checkpoint, {caption}"),
            "checkpoint (training step)".to_string(),
            "d(K_prev, K) (unitless, log scale)".to_string(),
            vec![band("alignment distance", PALETTE[0], &steps, &movement)],
            key_time_markers(group),
            true,
        ),
    ));

    let (_, change) = checkpoint_series(group, |c| c.ntk_relative_change.unwrap_or(f64::NAN));
    charts.push((
        "ntk-relative-change",
        LineChart::fitted(
            format!("NTK relative change since the previous checkpoint, {caption}"),
            "checkpoint (training step)".to_string(),
            "‖K − K_prev‖_F / ‖K_prev‖_F (log scale)".to_string(),
            vec![band("relative change", PALETTE[0], &steps, &change)],
            key_time_markers(group),
            true,
        ),
    ));

    let layers = group
        .records()
        .filter_map(|r| r.analysis.as_ref())
        .flat_map(|a| a.checkpoints.iter().map(|c| c.layer_trace_shares.len()))
        .max()
        .unwrap_or(0);
    let shares = (0..layers)
        .map(|layer| {
            let (_, share) = checkpoint_series(group, |c| c.layer_trace_shares.get(layer).copied().unwrap_or(f64::NAN));
            band(format!("layer {}", layer + 1), PALETTE[layer % PALETTE.len()], &steps, &share)
        })
        .collect();
    charts.push((
        "layer-trace-shares",
        LineChart::fitted(
            format!("Each layer's share of the NTK trace, {caption}"),
            "checkpoint (training step)".to_string(),
            "Tr Θ^(l) / Tr Θ (fraction)".to_string(),
            shares,
            key_time_markers(group),
            false,
        ),
    ));

    let mut written = Vec::new();
    for (name, chart) in charts {
        let path = target.path(name);
        write_svg(&path, (FIGURE_WIDTH, FIGURE_HEIGHT), |area| draw_line_chart(area, &chart))?;
        written.push(path);
    }
    Ok(written)
}
