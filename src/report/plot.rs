//! Drawing primitives shared by the figures: line charts with mean ± std bands and vertical
//! markers, heatmaps with colour bars, and colour maps.
//!
//! Text needs no font file: plotters is built without its `ttf` and `ab_glyph` features, so it
//! estimates text widths itself and the SVG names the generic `sans-serif` family. The viewer
//! draws that text with any font it has.

use std::path::Path;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::{Error, Result};
use crate::results::write_atomically;

use super::stats::{KeyTime, MeanStd};

/// Width of a figure, in SVG pixels.
pub const FIGURE_WIDTH: u32 = 1000;
/// Height of a single-chart figure, in SVG pixels.
pub const FIGURE_HEIGHT: u32 = 620;
/// Font size of titles, in pixels.
pub const TITLE_SIZE: u32 = 26;
/// Font size of axis descriptions and legends, in pixels.
pub const LABEL_SIZE: u32 = 20;
/// Font size of tick labels, in pixels.
pub const TICK_SIZE: u32 = 16;
/// Font family of every text element.
pub const FONT: &str = "sans-serif";

/// The drawing area of an SVG figure.
pub type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// Result of drawing code; plotters' error types are boxed here and converted at the file boundary.
pub type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

/// Series colours (matplotlib's "tab10").
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Returns the colour of a key time, the same in every figure.
pub fn key_time_color(key_time: KeyTime) -> RGBColor {
    match key_time {
        KeyTime::Initial => RGBColor(110, 110, 110),
        KeyTime::Memorisation => RGBColor(214, 39, 40),
        KeyTime::Onset => RGBColor(148, 103, 189),
        KeyTime::Generalisation => RGBColor(44, 160, 44),
    }
}

/// Draws a figure of `size` pixels into an SVG string and writes it to `path` atomically.
///
/// # Errors
/// [`Error::Io`] when drawing fails or the file cannot be written.
pub fn write_svg(path: &Path, size: (u32, u32), draw: impl FnOnce(&Area) -> DrawResult) -> Result<()> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_error(path, &e))?;
        draw(&root).map_err(|e| draw_error(path, e.as_ref()))?;
        root.present().map_err(|e| draw_error(path, &e))?;
    }
    write_atomically(path, |writer| std::io::Write::write_all(writer, svg.as_bytes()))
}

fn draw_error(path: &Path, error: &dyn std::error::Error) -> Error {
    Error::io("failed to draw figure", path, std::io::Error::other(error.to_string()))
}

/// A curve with a mean ± std band.
#[derive(Debug, Clone)]
pub struct Band {
    /// Legend text.
    pub label: String,
    /// Line and band colour.
    pub color: RGBColor,
    /// `(x, statistics)` in increasing x.
    pub points: Vec<(f64, MeanStd)>,
    /// Draw the mean dashed.
    pub dashed: bool,
}

/// A vertical line at `x`, or a legend entry alone when `x` is `None` (a key time never reached).
#[derive(Debug, Clone)]
pub struct Marker {
    /// Legend text.
    pub label: String,
    /// Short text at the top of the line.
    pub tag: String,
    /// Position; `None` when absent.
    pub x: Option<f64>,
    /// Line colour.
    pub color: RGBColor,
}

/// Mapping of an axis from values to positions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scale {
    /// Linear over the range.
    Linear(f64, f64),
    /// Logarithmic over the range (both ends positive).
    Log(f64, f64),
}

impl Scale {
    /// Fits a range to the finite `values`, padded by 5 % (log axes: by a factor 1.5, positive values only).
    pub fn fit(values: impl IntoIterator<Item = f64>, log: bool) -> Self {
        let finite: Vec<f64> = values
            .into_iter()
            .filter(|v| v.is_finite() && (!log || *v > 0.0))
            .collect();
        let low = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let high = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if log {
            let (low, high) = if low.is_finite() { (low, high) } else { (1.0, 10.0) };
            let high = if high > low { high } else { low * 10.0 };
            Scale::Log(low / 1.5, high * 1.5)
        } else {
            let (low, high) = if low.is_finite() { (low, high) } else { (0.0, 1.0) };
            let pad = if high > low { 0.05 * (high - low) } else { 0.5 };
            Scale::Linear(low - pad, high + pad)
        }
    }

    fn low(self) -> f64 {
        match self {
            Scale::Linear(low, _) | Scale::Log(low, _) => low,
        }
    }

    fn high(self) -> f64 {
        match self {
            Scale::Linear(_, high) | Scale::Log(_, high) => high,
        }
    }
}

/// A line chart: bands, vertical markers, axes and a legend.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// Chart title.
    pub title: String,
    /// x-axis description with its unit.
    pub x_label: String,
    /// y-axis description with its unit.
    pub y_label: String,
    /// x-axis mapping.
    pub x_scale: Scale,
    /// y-axis mapping.
    pub y_scale: Scale,
    /// Curves.
    pub bands: Vec<Band>,
    /// Vertical lines.
    pub markers: Vec<Marker>,
    /// Legend corner.
    pub legend: SeriesLabelPosition,
}

impl LineChart {
    /// Builds a chart with axes fitted to the bands (mean ± std) and markers; `y_log` selects a log y-axis.
    pub fn fitted(title: String, x_label: String, y_label: String, bands: Vec<Band>, markers: Vec<Marker>, y_log: bool) -> Self {
        // The x axis spans the data and markers exactly, without padding.
        let xs: Vec<f64> = bands
            .iter()
            .flat_map(|b| b.points.iter().map(|p| p.0))
            .chain(markers.iter().filter_map(|m| m.x))
            .filter(|x| x.is_finite())
            .collect();
        let x_low = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let x_high = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let x_scale = if x_high > x_low {
            Scale::Linear(x_low, x_high)
        } else {
            Scale::fit(xs, false)
        };
        let y_scale = if y_log {
            // The lower band edge can reach zero or below, so a log axis fits the means and upper edges.
            Scale::fit(
                bands
                    .iter()
                    .flat_map(|b| b.points.iter().flat_map(|(_, s)| [s.mean, s.mean + s.std])),
                true,
            )
        } else {
            Scale::fit(
                bands
                    .iter()
                    .flat_map(|b| b.points.iter().flat_map(|(_, s)| [s.mean - s.std, s.mean + s.std])),
                false,
            )
        };
        Self {
            title,
            x_label,
            y_label,
            x_scale,
            y_scale,
            bands,
            markers,
            legend: SeriesLabelPosition::UpperRight,
        }
    }
}

/// Draws `chart` into `area`.
pub fn draw_line_chart(area: &Area, chart: &LineChart) -> DrawResult {
    let (x, y) = (chart.x_scale, chart.y_scale);
    match (x, y) {
        (Scale::Linear(x0, x1), Scale::Linear(y0, y1)) => draw_line_chart_in(area, chart, x0..x1, y0..y1),
        (Scale::Linear(x0, x1), Scale::Log(y0, y1)) => draw_line_chart_in(area, chart, x0..x1, (y0..y1).log_scale()),
        (Scale::Log(x0, x1), Scale::Linear(y0, y1)) => draw_line_chart_in(area, chart, (x0..x1).log_scale(), y0..y1),
        (Scale::Log(x0, x1), Scale::Log(y0, y1)) => {
            draw_line_chart_in(area, chart, (x0..x1).log_scale(), (y0..y1).log_scale())
        }
    }
}

fn draw_line_chart_in<X, Y>(area: &Area, chart: &LineChart, x_range: X, y_range: Y) -> DrawResult
where
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut context = ChartBuilder::on(area)
        .caption(&chart.title, (FONT, TITLE_SIZE))
        .margin(16)
        .x_label_area_size(56)
        .y_label_area_size(86)
        .build_cartesian_2d(x_range, y_range)?;
    let tick = |v: &f64| format_tick(*v);
    context
        .configure_mesh()
        .x_desc(chart.x_label.as_str())
        .y_desc(chart.y_label.as_str())
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, LABEL_SIZE))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;

    let (y_low, y_high) = (chart.y_scale.low(), chart.y_scale.high());
    let clamp = |v: f64| v.clamp(y_low, y_high);
    for band in &chart.bands {
        if band.points.is_empty() {
            continue;
        }
        let mut outline: Vec<(f64, f64)> = band.points.iter().map(|(x, s)| (*x, clamp(s.mean + s.std))).collect();
        outline.extend(band.points.iter().rev().map(|(x, s)| (*x, clamp(s.mean - s.std))));
        context.draw_series(std::iter::once(Polygon::new(outline, band.color.mix(0.2).filled())))?;
    }
    for band in &chart.bands {
        let color = band.color;
        let style = color.stroke_width(3);
        let means = band.points.iter().map(|(x, s)| (*x, clamp(s.mean)));
        let annotation = if band.dashed {
            context.draw_series(DashedLineSeries::new(means, 10, 6, style))?
        } else {
            context.draw_series(LineSeries::new(means, style))?
        };
        annotation
            .label(band.label.as_str())
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], color.stroke_width(3)));
    }
    let mut tags = Vec::new();
    for marker in &chart.markers {
        let color = marker.color;
        let points: Vec<(f64, f64)> = match marker.x {
            Some(x) => vec![(x, y_low), (x, y_high)],
            None => Vec::new(),
        };
        let style = color.stroke_width(2);
        let annotation = context.draw_series(DashedLineSeries::new(points, 8, 6, style))?;
        let absent = marker.x.is_none();
        annotation.label(marker.label.as_str()).legend(move |(x, y)| {
            let style = if absent { color.mix(0.35).stroke_width(2) } else { color.stroke_width(2) };
            PathElement::new([(x, y), (x + 8, y), (x + 14, y), (x + 24, y)], style)
        });
        if let Some(x) = marker.x {
            tags.push((x, marker.tag.clone(), color));
        }
    }
    // Tags go below the top edge, one line lower per marker, so markers at the same x stay readable.
    let plotting = context.plotting_area();
    let base = plotting.get_base_pixel();
    let pixels = plotting.strip_coord_spec();
    for (index, (x, tag, color)) in tags.into_iter().enumerate() {
        let (px, py) = plotting.map_coordinate(&(x, y_high));
        let position = (px - base.0 + 4, py - base.1 + 4 + index as i32 * (TICK_SIZE as i32 + 2));
        let style = (FONT, TICK_SIZE).into_font().color(&color).pos(Pos::new(HPos::Left, VPos::Top));
        pixels.draw(&Text::new(tag, position, style))?;
    }
    context
        .configure_series_labels()
        .position(chart.legend.clone())
        .label_font((FONT, TICK_SIZE))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(160, 160, 160))
        .draw()?;
    Ok(())
}

/// Formats a tick value with no more digits than it needs: `100`, `0.25`, `2.5e-4`.
pub fn format_tick(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 {
        "0".to_string()
    } else if !(1e-3..1e5).contains(&magnitude) {
        format!("{value:.1e}")
    } else if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.4}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A colour map from [0, 1] to colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colormap {
    /// Perceptually uniform dark blue → green → yellow (matplotlib's viridis, 9 anchors).
    Viridis,
    /// Blue → white → red, for signed values centred at 0.5.
    Diverging,
}

const VIRIDIS: [(u8, u8, u8); 9] = [
    (68, 1, 84),
    (71, 44, 122),
    (59, 81, 139),
    (44, 113, 142),
    (33, 144, 141),
    (39, 173, 129),
    (92, 200, 99),
    (170, 220, 50),
    (253, 231, 37),
];

const DIVERGING: [(u8, u8, u8); 5] = [(33, 102, 172), (146, 197, 222), (247, 247, 247), (244, 165, 130), (178, 24, 43)];

impl Colormap {
    /// Maps `t` ∈ [0, 1] (clamped) to a colour, and NaN to light grey.
    pub fn color(self, t: f64) -> RGBColor {
        if t.is_nan() {
            return RGBColor(200, 200, 200);
        }
        let anchors: &[(u8, u8, u8)] = match self {
            Colormap::Viridis => &VIRIDIS,
            Colormap::Diverging => &DIVERGING,
        };
        let position = t.clamp(0.0, 1.0) * (anchors.len() - 1) as f64;
        let index = (position.floor() as usize).min(anchors.len() - 2);
        let fraction = position - index as f64;
        let blend = |a: u8, b: u8| (f64::from(a) + fraction * (f64::from(b) - f64::from(a))).round() as u8;
        let (a, b) = (anchors[index], anchors[index + 1]);
        RGBColor(blend(a.0, b.0), blend(a.1, b.1), blend(a.2, b.2))
    }
}

/// A line across a heatmap at a cell boundary or centre, in cell units.
#[derive(Debug, Clone)]
pub struct CellMark {
    /// Position in cell units along the axis (0 = first cell's edge).
    pub position: f64,
    /// Short text beside the line.
    pub tag: String,
    /// Line colour.
    pub color: RGBColor,
}

/// One heatmap panel: a rows × cols matrix drawn with row 0 at the top.
pub struct HeatmapPanel<'a> {
    /// Panel title.
    pub title: String,
    /// x-axis description.
    pub x_label: String,
    /// y-axis description.
    pub y_label: String,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// Colour-map position in [0, 1] of cell (row, col), NaN for missing.
    pub cell: &'a dyn Fn(usize, usize) -> f64,
    /// Tick label of a column index.
    pub x_tick: &'a dyn Fn(usize) -> String,
    /// Tick label of a row index.
    pub y_tick: &'a dyn Fn(usize) -> String,
    /// Vertical lines.
    pub x_marks: Vec<CellMark>,
    /// Horizontal lines.
    pub y_marks: Vec<CellMark>,
}

/// Draws a heatmap panel into `area`.
pub fn draw_heatmap(area: &Area, panel: &HeatmapPanel<'_>, colormap: Colormap) -> DrawResult {
    let rows = panel.rows.max(1) as f64;
    let cols = panel.cols.max(1) as f64;
    // Cell centres sit at integer coordinates, so ticks at integers label whole cells. The y axis
    // runs upwards: row r is centred at rows − 1 − r.
    let mut context = ChartBuilder::on(area)
        .caption(&panel.title, (FONT, LABEL_SIZE))
        .margin(10)
        .x_label_area_size(52)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5..cols - 0.5, -0.5..rows - 0.5)?;
    let x_tick = |v: &f64| cell_tick(*v, panel.cols, panel.x_tick);
    let y_tick = |v: &f64| cell_tick(rows - 1.0 - *v, panel.rows, panel.y_tick);
    context
        .configure_mesh()
        .disable_mesh()
        .x_desc(panel.x_label.as_str())
        .y_desc(panel.y_label.as_str())
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&x_tick)
        .y_label_formatter(&y_tick)
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, TICK_SIZE + 2))
        .draw()?;

    let mut cells = Vec::with_capacity(panel.rows * panel.cols);
    for row in 0..panel.rows {
        let y = rows - 1.0 - row as f64;
        for col in 0..panel.cols {
            let x = col as f64;
            let color = colormap.color((panel.cell)(row, col));
            cells.push(Rectangle::new([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], color.filled()));
        }
    }
    context.draw_series(cells)?;

    let (top, bottom, left, right) = (rows - 0.5, -0.5, -0.5, cols - 0.5);
    let plotting = context.plotting_area().clone();
    let base = plotting.get_base_pixel();
    let pixels = plotting.strip_coord_spec();
    for (index, mark) in panel.x_marks.iter().enumerate() {
        let x = mark.position - 0.5;
        let style = mark.color.stroke_width(2);
        context.draw_series(DashedLineSeries::new([(x, bottom), (x, top)], 6, 4, style))?;
        // One line lower per mark, so marks at the same column stay readable.
        let (px, py) = plotting.map_coordinate(&(x, top));
        let position = (px - base.0 + 3, py - base.1 + 2 + index as i32 * (TICK_SIZE as i32 + 2));
        let font = (FONT, TICK_SIZE).into_font().color(&mark.color).pos(Pos::new(HPos::Left, VPos::Top));
        pixels.draw(&Text::new(mark.tag.clone(), position, font))?;
    }
    for mark in &panel.y_marks {
        let y = rows - 0.5 - mark.position;
        let style = mark.color.stroke_width(2);
        context.draw_series(DashedLineSeries::new([(left, y), (right, y)], 6, 4, style))?;
        let (px, py) = plotting.map_coordinate(&(left, y));
        let position = (px - base.0 + 3, py - base.1 - 2);
        let font = (FONT, TICK_SIZE).into_font().color(&mark.color).pos(Pos::new(HPos::Left, VPos::Bottom));
        pixels.draw(&Text::new(mark.tag.clone(), position, font))?;
    }
    Ok(())
}

/// Formats the tick label of cell `v` when `v` is a whole cell index, and returns "" otherwise.
fn cell_tick(v: f64, count: usize, label: &dyn Fn(usize) -> String) -> String {
    let index = v.round();
    if (v - index).abs() > 1e-6 || index < 0.0 || index >= count as f64 {
        return String::new();
    }
    label(index as usize)
}

/// Draws a vertical colour bar for values from `low` to `high` into a narrow `area`.
pub fn draw_colorbar(area: &Area, colormap: Colormap, low: f64, high: f64, label: &str) -> DrawResult {
    let (low, high) = if high > low { (low, high) } else { (low, low + 1.0) };
    let mut context = ChartBuilder::on(area)
        .margin_top(50)
        .margin_bottom(62)
        .margin_right(8)
        .y_label_area_size(0)
        .right_y_label_area_size(78)
        .build_cartesian_2d(0.0..1.0, low..high)?;
    context
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_desc(label)
        .y_labels(6)
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, TICK_SIZE))
        .draw()?;
    const STEPS: usize = 64;
    let slice = (high - low) / STEPS as f64;
    context.draw_series((0..STEPS).map(|i| {
        let y0 = low + i as f64 * slice;
        let color = colormap.color((i as f64 + 0.5) / STEPS as f64);
        Rectangle::new([(0.0, y0), (1.0, y0 + slice)], color.filled())
    }))?;
    Ok(())
}
