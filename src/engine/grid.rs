//! A uniform grid over 2-D points: the point under the pointer in O(1) on average, the
//! points in a box, and the k nearest points, for maps of a million points.

/// Points bucketed into a `cols × rows` grid over their bounding box (counting sort:
/// two arrays, no per-cell allocation).
#[derive(Debug, Clone)]
pub struct PointGrid {
    min: [f32; 2],
    /// Size of one cell.
    cell: [f32; 2],
    cols: usize,
    rows: usize,
    /// `starts[c]..starts[c + 1]` are cell `c`'s entries in `items`.
    starts: Vec<u32>,
    /// Point indices, cell by cell.
    items: Vec<u32>,
}

impl PointGrid {
    /// A grid of about `cells` cells over `points` (non-finite points are left out).
    pub fn new(points: &[[f32; 2]], cells: usize) -> Self {
        let finite = |p: &[f32; 2]| p[0].is_finite() && p[1].is_finite();
        let (mut min, mut max) = ([f32::INFINITY; 2], [f32::NEG_INFINITY; 2]);
        for p in points.iter().filter(|p| finite(p)) {
            for a in 0..2 {
                min[a] = min[a].min(p[a]);
                max[a] = max[a].max(p[a]);
            }
        }
        if min[0] > max[0] {
            (min, max) = ([0.0; 2], [1.0; 2]);
        }
        let span = [(max[0] - min[0]).max(1e-12), (max[1] - min[1]).max(1e-12)];
        // Square-ish cells: the aspect of the box decides the split.
        let cells = cells.max(1) as f32;
        let cols = ((cells * span[0] / span[1]).sqrt().round() as usize).clamp(1, 4096);
        let rows = ((cells / cols as f32).round() as usize).clamp(1, 4096);
        let cell = [span[0] / cols as f32, span[1] / rows as f32];
        let mut grid = Self { min, cell, cols, rows, starts: vec![0; cols * rows + 1], items: Vec::new() };
        let keys: Vec<Option<usize>> =
            points.iter().map(|p| finite(p).then(|| grid.cell_index(grid.cell_of(*p)))).collect();
        for c in keys.iter().flatten() {
            grid.starts[c + 1] += 1;
        }
        for c in 0..cols * rows {
            grid.starts[c + 1] += grid.starts[c];
        }
        let mut next = grid.starts.clone();
        grid.items = vec![0; grid.starts[cols * rows] as usize];
        for (i, c) in keys.iter().enumerate() {
            if let Some(c) = c {
                grid.items[next[*c] as usize] = i as u32;
                next[*c] += 1;
            }
        }
        grid
    }

    /// The cell (column, row) holding `p`, clamped to the grid.
    fn cell_of(&self, p: [f32; 2]) -> (usize, usize) {
        let f = |a: usize, n: usize| (((p[a] - self.min[a]) / self.cell[a]).floor().max(0.0) as usize).min(n - 1);
        (f(0, self.cols), f(1, self.rows))
    }

    fn cell_index(&self, (c, r): (usize, usize)) -> usize {
        r * self.cols + c
    }

    fn cell_items(&self, c: usize, r: usize) -> &[u32] {
        let k = self.cell_index((c, r));
        &self.items[self.starts[k] as usize..self.starts[k + 1] as usize]
    }

    /// Distance from `p` to the nearest edge of the square ring `ring` cells around its
    /// cell: every point outside the ring is at least that far.
    fn ring_reach(&self, p: [f32; 2], (c, r): (usize, usize), ring: usize) -> f32 {
        let left = p[0] - (self.min[0] + (c as f32 - ring as f32) * self.cell[0]);
        let right = self.min[0] + ((c + ring + 1) as f32) * self.cell[0] - p[0];
        let bottom = p[1] - (self.min[1] + (r as f32 - ring as f32) * self.cell[1]);
        let top = self.min[1] + ((r + ring + 1) as f32) * self.cell[1] - p[1];
        left.min(right).min(bottom).min(top).max(0.0)
    }

    /// Calls `f` on every point in the ring `ring` cells around `(c, r)`.
    fn for_ring(&self, (c, r): (usize, usize), ring: usize, f: &mut dyn FnMut(usize)) {
        let (c, r, ring) = (c as isize, r as isize, ring as isize);
        let inside = |x: isize, y: isize| x >= 0 && y >= 0 && (x as usize) < self.cols && (y as usize) < self.rows;
        let mut visit = |x: isize, y: isize| {
            if inside(x, y) {
                for &i in self.cell_items(x as usize, y as usize) {
                    f(i as usize);
                }
            }
        };
        if ring == 0 {
            visit(c, r);
            return;
        }
        for x in c - ring..=c + ring {
            visit(x, r - ring);
            visit(x, r + ring);
        }
        for y in r - ring + 1..r + ring {
            visit(c - ring, y);
            visit(c + ring, y);
        }
    }

    /// The `k` points nearest to `p` (nearest first), leaving out `skip`.
    pub fn nearest_k(&self, points: &[[f32; 2]], p: [f32; 2], k: usize, skip: Option<usize>) -> Vec<usize> {
        let home = self.cell_of(p);
        let max_ring = self.cols.max(self.rows);
        let mut best: Vec<(f32, usize)> = Vec::with_capacity(k + 1);
        for ring in 0..=max_ring {
            self.for_ring(home, ring, &mut |i| {
                if Some(i) == skip {
                    return;
                }
                let d = dist2(points[i], p);
                if best.len() < k || d < best[best.len() - 1].0 {
                    let at = best.partition_point(|&(e, j)| (e, j) < (d, i));
                    best.insert(at, (d, i));
                    best.truncate(k);
                }
            });
            // Done once the k found are all nearer than anything beyond this ring.
            if best.len() == k && best[k - 1].0 <= self.ring_reach(p, home, ring).powi(2) {
                break;
            }
        }
        best.into_iter().map(|(_, i)| i).collect()
    }

    /// The point nearest to `p` within `radius` (ties to the lower index).
    pub fn nearest_within(&self, points: &[[f32; 2]], p: [f32; 2], radius: f32) -> Option<usize> {
        let home = self.cell_of(p);
        let rings = ((2.0 * radius / self.cell[0].min(self.cell[1])).ceil() as usize + 2).min(self.cols.max(self.rows));
        let mut best: Option<(f32, usize)> = None;
        for ring in 0..=rings {
            self.for_ring(home, ring, &mut |i| {
                let d = dist2(points[i], p);
                if d <= radius * radius && best.is_none_or(|(e, j)| (d, i) < (e, j)) {
                    best = Some((d, i));
                }
            });
            if best.is_some_and(|(d, _)| d <= self.ring_reach(p, home, ring).powi(2)) {
                break;
            }
        }
        best.map(|(_, i)| i)
    }

    /// Every point inside the box `lo..=hi`, in index order.
    pub fn in_box(&self, points: &[[f32; 2]], lo: [f32; 2], hi: [f32; 2]) -> Vec<usize> {
        let (c0, r0) = self.cell_of(lo);
        let (c1, r1) = self.cell_of(hi);
        let mut found = Vec::new();
        for r in r0..=r1 {
            for c in c0..=c1 {
                found.extend(self.cell_items(c, r).iter().map(|&i| i as usize).filter(|&i| {
                    let q = points[i];
                    q[0] >= lo[0] && q[0] <= hi[0] && q[1] >= lo[1] && q[1] <= hi[1]
                }));
            }
        }
        found.sort_unstable();
        found
    }
}

fn dist2(a: [f32; 2], b: [f32; 2]) -> f32 {
    (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)
}

/// Whether `p` is inside the polygon `poly` (even-odd rule).
pub fn in_polygon(poly: &[[f32; 2]], p: [f32; 2]) -> bool {
    let mut inside = false;
    let mut j = poly.len().wrapping_sub(1);
    for i in 0..poly.len() {
        let (a, b) = (poly[i], poly[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) && p[0] < (b[0] - a[0]) * (p[1] - a[1]) / (b[1] - a[1]) + a[0] {
            inside = !inside;
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scatter(n: usize, seed: u64) -> Vec<[f32; 2]> {
        let e = crate::engine::random_unit(n, 2, seed);
        // Uneven density: a dense knot and a sparse halo.
        (0..n)
            .map(|i| {
                let s = if i % 3 == 0 { 0.05 } else { 3.0 };
                [e.data[2 * i] * s * (1.0 + i as f32 / n as f32), e.data[2 * i + 1] * s]
            })
            .collect()
    }

    #[test]
    fn grid_hover_finds_the_same_point_as_a_linear_scan() {
        let pts = scatter(20_000, 9);
        let grid = PointGrid::new(&pts, 20_000 / 8);
        let probes = scatter(2_000, 77);
        for (k, q) in probes.iter().enumerate() {
            let radius = [0.01f32, 0.1, 0.5, 10.0][k % 4];
            let linear = pts
                .iter()
                .enumerate()
                .map(|(i, p)| (dist2(*p, *q), i))
                .filter(|&(d, _)| d <= radius * radius)
                .min_by(|a, b| a.partial_cmp(b).expect("finite"))
                .map(|(_, i)| i);
            assert_eq!(grid.nearest_within(&pts, *q, radius), linear, "probe {q:?} radius {radius}");
        }
    }

    #[test]
    fn nearest_k_and_boxes_match_brute_force() {
        let pts = scatter(3_000, 4);
        let grid = PointGrid::new(&pts, 500);
        for i in (0..3_000).step_by(97) {
            let mut brute: Vec<(f32, usize)> =
                (0..3_000).filter(|&j| j != i).map(|j| (dist2(pts[i], pts[j]), j)).collect();
            brute.sort_by(|a, b| a.partial_cmp(b).expect("finite"));
            let want: Vec<usize> = brute[..10].iter().map(|&(_, j)| j).collect();
            assert_eq!(grid.nearest_k(&pts, pts[i], 10, Some(i)), want);
        }
        let (lo, hi) = ([-0.5, -1.0], [1.5, 0.25]);
        let want: Vec<usize> = (0..3_000)
            .filter(|&i| pts[i][0] >= lo[0] && pts[i][0] <= hi[0] && pts[i][1] >= lo[1] && pts[i][1] <= hi[1])
            .collect();
        assert_eq!(grid.in_box(&pts, lo, hi), want);
        let square = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
        assert!(in_polygon(&square, [0.5, 0.5]) && !in_polygon(&square, [1.5, 0.5]));
    }

    #[test]
    fn empty_and_degenerate_sets() {
        let grid = PointGrid::new(&[], 10);
        assert_eq!(grid.nearest_within(&[], [0.0, 0.0], 1.0), None);
        let same = vec![[2.0, 2.0]; 5];
        let grid = PointGrid::new(&same, 10);
        assert_eq!(grid.nearest_within(&same, [2.0, 2.0], 0.1), Some(0));
        let nan = vec![[f32::NAN, 0.0], [1.0, 1.0]];
        let grid = PointGrid::new(&nan, 4);
        assert_eq!(grid.nearest_within(&nan, [0.0, 0.0], 5.0), Some(1));
    }
}
