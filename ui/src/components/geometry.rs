//! The room's 2:1 isometric projection: floor coordinates (in floor units, x along the back
//! wall, y along the left wall) to scene pixels, and polygon helpers for boxes on the floor.

/// Scene origin (the back corner of the floor) and the half-width of one floor unit, in px.
pub const OX: f64 = 500.0;
pub const OY: f64 = 150.0;
pub const U: f64 = 38.0;

/// Floor coordinates to scene pixels.
pub fn iso(x: f64, y: f64) -> (f64, f64) {
    (OX + (x - y) * U, OY + (x + y) * U / 2.0)
}

/// The point `h` pixels above a scene point.
pub fn up((x, y): (f64, f64), h: f64) -> (f64, f64) {
    (x, y - h)
}

/// An SVG `points` attribute.
pub fn points(ps: &[(f64, f64)]) -> String {
    ps.iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Top, left (+y) and right (+x) faces of a box standing on the floor rectangle.
pub fn iso_box(x: f64, y: f64, w: f64, d: f64, h: f64) -> [String; 3] {
    let (a, b, c, e) = (iso(x, y), iso(x + w, y), iso(x + w, y + d), iso(x, y + d));
    [
        points(&[up(a, h), up(b, h), up(c, h), up(e, h)]),
        points(&[e, c, up(c, h), up(e, h)]),
        points(&[b, c, up(c, h), up(b, h)]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn projection_is_two_to_one() {
        assert_eq!(iso(0.0, 0.0), (OX, OY));
        assert_eq!(iso(1.0, 0.0), (OX + U, OY + U / 2.0));
        assert_eq!(iso(0.0, 1.0), (OX - U, OY + U / 2.0));
        assert_eq!(up(iso(0.0, 0.0), 10.0), (OX, OY - 10.0));
        assert_eq!(points(&[(1.0, 2.0), (3.25, 4.0)]), "1.0,2.0 3.2,4.0");
    }
}
