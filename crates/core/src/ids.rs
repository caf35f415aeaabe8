//! Minting ids: a short type prefix, the creation time in ms (so ids sort by time) and
//! random bits, e.g. `ag_0190c3e1a2b4_9f3k2m`.

use rand::Rng;

const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// A new time-ordered id with `prefix`.
pub fn new_id(prefix: &str) -> String {
    let ms = crate::time::now_ms();
    let mut rng = rand::rng();
    let suffix: String = (0..8)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{prefix}_{ms:012x}{suffix}")
}

/// A random (version 4) UUID, for CLIs that take an office-chosen session id.
pub fn new_uuid_v4() -> String {
    let mut b: [u8; 16] = rand::random();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_are_version_4() {
        let u = super::new_uuid_v4();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, super::new_uuid_v4());
    }

    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = super::new_id("ag");
        let b = super::new_id("ag");
        assert!(a.starts_with("ag_"));
        assert_ne!(a, b);
    }
}
