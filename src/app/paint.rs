//! Drawing helpers shared by the views: colours, contrast, texture upload, progress.

use egui::{Color32, TextureHandle, TextureOptions};

use super::result::Computed;
pub use crate::render::truncate;
use crate::render::{Colormap, matrix_pixels, unit};
use crate::session::ColorRange;

/// Distinct colours for groups (Tableau 10).
pub const GROUP_COLORS: [Color32; 10] = [
    Color32::from_rgb(78, 121, 167),
    Color32::from_rgb(242, 142, 43),
    Color32::from_rgb(225, 87, 89),
    Color32::from_rgb(118, 183, 178),
    Color32::from_rgb(89, 161, 79),
    Color32::from_rgb(237, 201, 72),
    Color32::from_rgb(176, 122, 161),
    Color32::from_rgb(255, 157, 167),
    Color32::from_rgb(156, 117, 95),
    Color32::from_rgb(186, 176, 172),
];

/// The colour of group `g`.
pub fn group_color(g: usize) -> Color32 {
    GROUP_COLORS[g % GROUP_COLORS.len()]
}

/// An RGB triple as an egui colour.
pub fn rgb(c: [u8; 3]) -> Color32 {
    Color32::from_rgb(c[0], c[1], c[2])
}

/// The colour of value `v` on `cmap` over `lo..hi`.
pub fn color_of(cmap: Colormap, v: f32, lo: f32, hi: f32) -> Color32 {
    rgb(cmap.rgb(unit(v, lo, hi)))
}

/// Black or white, whichever reads better on `fill`.
pub fn contrast(fill: Color32) -> Color32 {
    let l = 0.299 * f32::from(fill.r()) + 0.587 * f32::from(fill.g()) + 0.114 * f32::from(fill.b());
    if l > 140.0 { Color32::BLACK } else { Color32::WHITE }
}

/// The colour range for a result.
pub fn range_of(r: &Computed, range: ColorRange) -> (f32, f32) {
    match range {
        ColorRange::Unit => (0.0, 1.0),
        ColorRange::Signed => (-1.0, 1.0),
        ColorRange::Auto => r.off_diagonal_range().filter(|(lo, hi)| hi > lo).unwrap_or((0.0, 1.0)),
    }
}

/// A matrix as an image of at most `max_side` pixels a side (block means past it).
pub fn matrix_image(
    sim: &crate::engine::SimMatrix,
    lo: f32,
    hi: f32,
    cmap: Colormap,
    max_side: usize,
) -> egui::ColorImage {
    let (side, pixels) = matrix_pixels(sim, lo, hi, cmap, max_side, rgb);
    egui::ColorImage::new([side, side], pixels)
}

/// Puts `image` into `texture`, creating it on first use.
pub fn upload(texture: &mut Option<TextureHandle>, ctx: &egui::Context, name: &str, image: egui::ColorImage) {
    match texture {
        Some(t) => t.set(image, TextureOptions::NEAREST),
        None => *texture = Some(ctx.load_texture(name, image, TextureOptions::NEAREST)),
    }
}

/// The largest texture side the display allows (at least 256).
pub fn max_texture_side(ctx: &egui::Context) -> usize {
    ctx.input(|i| i.max_texture_side).max(256)
}

/// A small progress bar that repaints only when the worker reports progress.
pub fn progress_ui(ui: &mut egui::Ui, done: usize, total: usize) {
    let frac = if total > 0 { done as f32 / total as f32 } else { 0.0 };
    ui.add(egui::ProgressBar::new(frac).desired_width(120.0).animate(false));
}

/// A spinner with a label, for short waits inside a view.
pub fn waiting_ui(ui: &mut egui::Ui, text: &str) {
    ui.horizontal(|ui| {
        ui.spinner();
        ui.label(text);
    });
}

/// A tooltip at the pointer, for hovers that egui's own response tooltips do not cover
/// (painted labels, thumbnails); at most 420 points wide.
pub fn pointer_tooltip(ui: &egui::Ui, id: &str, add: impl FnOnce(&mut egui::Ui)) {
    egui::Tooltip::always_open(ui.ctx().clone(), ui.layer_id(), ui.make_persistent_id(id), egui::PopupAnchor::Pointer)
        .show(|ui| {
            ui.set_max_width(420.0);
            add(ui);
        });
}
