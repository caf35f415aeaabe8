//! A default look for a new agent, chosen from a hash of its name so the same name always gets
//! the same character.

use isomux_protocol::Look;
use sha2::{Digest, Sha256};

const HAIR: &[&str] = &["short", "long", "ponytail", "bun", "spiky", "curly", "bald"];
const HAIR_COLOR: &[&str] = &[
    "#2b1d14", "#6b3e26", "#d9a441", "#b5332e", "#222222", "#8e8e8e",
];
const SKIN: &[&str] = &[
    "#f5d0b0", "#e0ac69", "#c68642", "#8d5524", "#ffdbac", "#5c3a21",
];
const OUTFIT: &[&str] = &[
    "#3b82f6", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6",
];
const ACCESSORY: &[&str] = &["none", "glasses", "headphones", "cap"];

/// The look for `name`.
pub fn look_for_name(name: &str) -> Look {
    let h = Sha256::digest(name.to_lowercase().as_bytes());
    let pick = |i: usize, xs: &[&str]| xs[h[i] as usize % xs.len()].to_owned();
    Look {
        hair: pick(0, HAIR),
        hair_color: pick(1, HAIR_COLOR),
        skin: pick(2, SKIN),
        outfit: pick(3, OUTFIT),
        accessory: pick(4, ACCESSORY),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn look_is_stable_and_case_insensitive() {
        assert_eq!(super::look_for_name("Ada"), super::look_for_name("ada"));
        assert!(!super::look_for_name("Ada").hair.is_empty());
    }
}
