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

/// Whether `id` has the shape [`new_id`] mints with `prefix` (`<prefix>_` then lowercase
/// letters and digits): anything else was never an office id.
pub fn well_formed(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
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
    fn minted_ids_are_well_formed_and_traversals_are_not() {
        assert!(super::well_formed(&super::new_id("ap"), "ap"));
        for bad in [
            "../../etc/passwd",
            "ap_",
            "ag_abc",
            "ap_ABC",
            "ap_a/b",
            "ap",
        ] {
            assert!(!super::well_formed(bad, "ap"), "{bad}");
        }
    }

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
