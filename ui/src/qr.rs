//! QR codes for invite and device links, drawn as one SVG path (no image assets, nothing the
//! CSP has to allow). Encoding is `qrcodegen` (pure Rust, no dependencies); this file only turns
//! its modules into path data. Pure, unit-tested natively.

use qrcodegen::{QrCode, QrCodeEcc};

/// A drawn code: `size` modules a side (plus `QUIET` on each side in the view box) and the
/// path of its dark modules in module units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    pub size: i32,
    pub path: String,
}

/// Quiet zone around the code, in modules (the standard asks for 4).
pub const QUIET: i32 = 4;

impl Drawn {
    /// The SVG `viewBox` that includes the quiet zone.
    pub fn view_box(&self) -> String {
        let side = self.size + 2 * QUIET;
        format!("{} {} {side} {side}", -QUIET, -QUIET)
    }
}

/// Encodes `text` (medium error correction: phones read it off a screen easily); `None` when
/// it is too long for any QR version.
pub fn draw(text: &str) -> Option<Drawn> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = code.size();
    let mut path = String::new();
    for y in 0..size {
        // One rectangle per horizontal run of dark modules keeps the path short.
        let mut x = 0;
        while x < size {
            if code.get_module(x, y) {
                let start = x;
                while x < size && code.get_module(x, y) {
                    x += 1;
                }
                path.push_str(&format!("M{start} {y}h{}v1h-{}z", x - start, x - start));
            } else {
                x += 1;
            }
        }
    }
    Some(Drawn { size, path })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Which modules the path paints (reading the runs back).
    fn painted(d: &Drawn) -> Vec<Vec<bool>> {
        let n = usize::try_from(d.size).unwrap();
        let mut grid = vec![vec![false; n]; n];
        for run in d.path.split('M').filter(|s| !s.is_empty()) {
            let (xy, rest) = run.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let w: usize = rest.split_once('v').unwrap().0.parse().unwrap();
            let (x, y): (usize, usize) = (x.parse().unwrap(), y.parse().unwrap());
            for cell in &mut grid[y][x..x + w] {
                *cell = true;
            }
        }
        grid
    }

    #[test]
    fn draws_the_modules_of_the_code() {
        let url = "https://office.example:8443/i/3q2-7wEVR7mZ0b0f1jQy3n0g8h6WcHqkQ9Z0yLx1aT4";
        let d = draw(url).expect("fits");
        let code = QrCode::encode_text(url, QrCodeEcc::Medium).unwrap();
        assert!(
            d.size >= 21 && (d.size - 17) % 4 == 0,
            "a QR side: {}",
            d.size
        );
        let grid = painted(&d);
        for y in 0..d.size {
            for x in 0..d.size {
                assert_eq!(
                    grid[y as usize][x as usize],
                    code.get_module(x, y),
                    "module {x},{y}"
                );
            }
        }
        // The top-left finder pattern: a dark 7×7 ring around a light ring and a dark 3×3.
        assert!((0..7).all(|i| grid[0][i] && grid[6][i] && grid[i][0] && grid[i][6]));
        assert!(!grid[1][1] && grid[3][3]);
        assert_eq!(d.view_box(), format!("-4 -4 {0} {0}", d.size + 8));
    }

    #[test]
    fn too_long_is_none() {
        assert!(draw(&"x".repeat(8000)).is_none());
        assert!(draw("").is_some());
    }
}
