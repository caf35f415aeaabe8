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

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_prefixed_and_distinct() {
        let a = super::new_id("ag");
        let b = super::new_id("ag");
        assert!(a.starts_with("ag_"));
        assert_ne!(a, b);
    }
}
