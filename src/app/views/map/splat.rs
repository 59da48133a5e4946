//! The map's points splatted into a texture at the view's resolution, with alpha that
//! adds up so density reads. Large maps splat on a background thread while the previous
//! texture, moved and scaled with the view, stays on screen.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::{Color32, ColorImage, TextureHandle, TextureOptions};

use crate::app::result::JobId;
use crate::app::task::{Task, TaskPoll};

/// Up to this many points are splatted at once on the UI thread (well under a
/// millisecond); more go to a background thread.
const SYNC_POINTS: usize = 20_000;
/// A large map is splatted again once the view has been still this long.
const SETTLE: Duration = Duration::from_millis(120);

/// A rectangle in data coordinates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DataRect {
    /// Lower corner.
    pub min: [f32; 2],
    /// Upper corner.
    pub max: [f32; 2],
}

/// What one texture shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplatKey {
    /// The result.
    pub job: JobId,
    /// Which layout (its points' address: a new layout is a new allocation).
    pub layout: usize,
    /// The data shown.
    pub view: DataRect,
    /// Pixels.
    pub size: [usize; 2],
    /// Which colouring (its classes' address: a new colouring is a new allocation, made
    /// while the old one is still held).
    pub colours: usize,
}

/// What to splat: the points, their colours and the view.
pub struct SplatInput {
    /// Positions.
    pub points: Arc<Vec<[f32; 2]>>,
    /// Group of each point.
    pub groups: Arc<Vec<usize>>,
    /// Colour of each group.
    pub colors: Arc<Vec<Color32>>,
}

/// The texture and a splat under way.
#[derive(Default)]
pub struct Splat {
    texture: Option<TextureHandle>,
    key: Option<SplatKey>,
    pending: Option<(SplatKey, Task<ColorImage>)>,
    /// The key asked for last and since when, to wait for the view to settle.
    wanted: Option<(SplatKey, Instant)>,
}

impl Splat {
    /// Drops the texture (a new layout).
    pub fn clear(&mut self) {
        *self = Self::default();
    }

    /// The texture to draw and the data rectangle it covers; splats `key` now (small
    /// maps), or once the view settles (large ones).
    pub fn update(
        &mut self,
        ctx: &egui::Context,
        key: SplatKey,
        input: &SplatInput,
    ) -> Option<(&TextureHandle, DataRect)> {
        self.collect(ctx, input);
        if self.key != Some(key) {
            let small = input.points.len() <= SYNC_POINTS;
            let settled = match self.wanted {
                Some((k, since)) if k == key => since.elapsed() >= SETTLE,
                _ => {
                    self.wanted = Some((key, Instant::now()));
                    false
                }
            };
            if small {
                let image = splat(&input.points, &input.groups, &input.colors, key.view, key.size);
                self.set(ctx, image, key);
            } else if settled && self.pending.as_ref().is_none_or(|(k, _)| *k != key) {
                self.start(ctx, key, input);
            } else if !settled {
                ctx.request_repaint_after(SETTLE);
            }
        }
        let key = self.key?;
        self.texture.as_ref().map(|t| (t, key.view))
    }

    fn set(&mut self, ctx: &egui::Context, image: ColorImage, key: SplatKey) {
        match &mut self.texture {
            Some(t) => t.set(image, TextureOptions::LINEAR),
            None => self.texture = Some(ctx.load_texture("simlens-map", image, TextureOptions::LINEAR)),
        }
        self.key = Some(key);
    }

    fn start(&mut self, ctx: &egui::Context, key: SplatKey, input: &SplatInput) {
        let (points, groups, colors) =
            (Arc::clone(&input.points), Arc::clone(&input.groups), Arc::clone(&input.colors));
        let task = Task::spawn("simlens-splat", ctx, move |_| {
            Ok::<_, String>(splat(&points, &groups, &colors, key.view, key.size))
        });
        self.pending = Some((key, task));
        // A thread that could not start is known at once.
        self.collect(ctx, input);
    }

    /// Takes a finished splat. Without one (no thread, or it failed) the splat is made
    /// here, slower but never a missing map.
    fn collect(&mut self, ctx: &egui::Context, input: &SplatInput) {
        let Some((k, task)) = &mut self.pending else { return };
        let k = *k;
        match task.poll() {
            TaskPoll::Running(_) => return,
            TaskPoll::Done(image) => self.set(ctx, image, k),
            TaskPoll::Failed(e) => {
                log::warn!("map splat thread: {e}; splatting on the UI thread");
                // Only if the points are still the ones it was for.
                if k.layout == Arc::as_ptr(&input.points) as usize {
                    let image = splat(&input.points, &input.groups, &input.colors, k.view, k.size);
                    self.set(ctx, image, k);
                }
            }
            TaskPoll::Idle => {}
        }
        self.pending = None;
    }
}

/// Point footprint in pixels for `n` points: bigger points when there are few.
fn radius_for(n: usize) -> f32 {
    match n {
        0..=200 => 5.0,
        201..=2_000 => 3.5,
        2_001..=20_000 => 2.0,
        20_001..=200_000 => 1.2,
        _ => 0.7,
    }
}

/// How much one point covers its pixels: few points are drawn nearly opaque, a million
/// translucent, so overlaps build up density.
fn opacity_for(n: usize) -> f32 {
    match n {
        0..=20_000 => 2.5,
        20_001..=200_000 => 1.2,
        _ => 0.7,
    }
}

/// Draws `points` into a `size` image of `view`: each pixel takes the mean colour of the
/// points on it, with an opacity that grows with their count (1 − e^(−k·count), `k` from
/// [`opacity_for`]).
pub fn splat(
    points: &[[f32; 2]],
    groups: &[usize],
    colors: &[Color32],
    view: DataRect,
    size: [usize; 2],
) -> ColorImage {
    let [w, h] = size;
    let mut acc = vec![[0.0f32; 4]; w * h];
    let sx = w as f32 / (view.max[0] - view.min[0]).max(f32::MIN_POSITIVE);
    let sy = h as f32 / (view.max[1] - view.min[1]).max(f32::MIN_POSITIVE);
    let r = radius_for(points.len());
    let k = opacity_for(points.len());
    let reach = r.ceil() as isize;
    let fallback = Color32::GRAY;
    for (p, &g) in points.iter().zip(groups) {
        let x = (p[0] - view.min[0]) * sx;
        // Screen y grows downwards.
        let y = (view.max[1] - p[1]) * sy;
        if !(x >= -r && y >= -r && x < w as f32 + r && y < h as f32 + r) {
            continue;
        }
        let c = colors.get(g).copied().unwrap_or(fallback);
        let (cx, cy) = (x.floor() as isize, y.floor() as isize);
        for dy in -reach..=reach {
            for dx in -reach..=reach {
                let (px, py) = (cx + dx, cy + dy);
                if px < 0 || py < 0 || px >= w as isize || py >= h as isize {
                    continue;
                }
                let (ox, oy) = (px as f32 + 0.5 - x, py as f32 + 0.5 - y);
                if ox * ox + oy * oy > r * r + 0.25 {
                    continue;
                }
                let a = &mut acc[py as usize * w + px as usize];
                a[0] += f32::from(c.r());
                a[1] += f32::from(c.g());
                a[2] += f32::from(c.b());
                a[3] += 1.0;
            }
        }
    }
    let pixels = acc
        .iter()
        .map(|a| {
            if a[3] == 0.0 {
                return Color32::TRANSPARENT;
            }
            let alpha = 1.0 - (-k * a[3]).exp();
            let m = |v: f32| (v / a[3]).round().clamp(0.0, 255.0) as u8;
            Color32::from_rgba_unmultiplied(m(a[0]), m(a[1]), m(a[2]), (alpha * 255.0).round() as u8)
        })
        .collect();
    ColorImage::new([w, h], pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_reads_as_opacity_and_points_land_where_they_belong() {
        let view = DataRect { min: [0.0, 0.0], max: [10.0, 10.0] };
        // 300,000 points stacked at (2.5, 7.5), one alone at (7.5, 2.5), one outside.
        let mut points = vec![[2.5f32, 7.5]; 300_000];
        points.push([7.5, 2.5]);
        points.push([20.0, 20.0]);
        let groups: Vec<usize> = (0..points.len()).map(|i| usize::from(i >= 300_000)).collect();
        let colors = [Color32::from_rgb(200, 0, 0), Color32::from_rgb(0, 0, 200)];
        let img = splat(&points, &groups, &colors, view, [100, 100]);
        let at = |x: usize, y: usize| img.pixels[y * 100 + x];
        let dense = at(25, 25);
        let lone = at(75, 75);
        assert!(dense.a() > 250, "a stack of points is nearly opaque: {dense:?}");
        assert!(lone.a() > 0 && lone.a() < dense.a(), "one point is translucent: {lone:?}");
        assert!(dense.r() > dense.b() && lone.b() > lone.r(), "group colours");
        assert_eq!(at(5, 95), Color32::TRANSPARENT);
    }
}
