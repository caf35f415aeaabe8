//! Pure choices behind the drawn characters and the spawn dialog: the palettes the dialog
//! offers, the default look for a name (what the preview shows until the user picks), the desk
//! prop a model gets, and the recent-cwd suggestions. No web-sys, so it is unit-tested natively.

use isomux_protocol::{BackendKind, Look};

/// Hair styles the character knows how to draw.
pub const HAIR: &[&str] = &[
    "short", "long", "ponytail", "bun", "spiky", "curly", "mohawk", "bald",
];
/// Hair colours offered as swatches.
pub const HAIR_COLOR: &[&str] = &[
    "#2b1d14", "#6b3e26", "#d9a441", "#b5332e", "#222222", "#8e8e8e", "#6c5ce7", "#e84393",
];
/// Skin tones offered as swatches.
pub const SKIN: &[&str] = &[
    "#ffdbac", "#f5d0b0", "#e0ac69", "#c68642", "#8d5524", "#5c3a21",
];
/// Outfit colours offered as swatches.
pub const OUTFIT: &[&str] = &[
    "#3b82f6", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#14b8a6", "#334155", "#ec4899",
];
/// Accessories the character knows how to draw.
pub const ACCESSORY: &[&str] = &[
    "none",
    "glasses",
    "sunglasses",
    "headphones",
    "cap",
    "beanie",
    "bow",
];

/// 32-bit FNV-1a: a small stable hash for picking from the palettes.
fn fnv(text: &str) -> u32 {
    text.bytes().fold(2_166_136_261u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16_777_619)
    })
}

/// The look the dialog previews for `name` until the user picks one: stable per name
/// (case-insensitive), every part from the palettes above.
pub fn look_for_name(name: &str) -> Look {
    let h = fnv(&name.trim().to_lowercase());
    let pick = |shift: u32, xs: &[&str]| xs[((h >> shift) as usize) % xs.len()].to_owned();
    Look {
        hair: pick(0, HAIR),
        hair_color: pick(5, HAIR_COLOR),
        skin: pick(10, SKIN),
        outfit: pick(15, OUTFIT),
        accessory: pick(20, ACCESSORY),
    }
}

/// Another look, different from `current` in every part that has a choice (the dice button).
pub fn shuffled(current: &Look, seed: u32) -> Look {
    let next = |xs: &[&str], cur: &str, salt: u32| {
        let at = xs.iter().position(|x| *x == cur);
        let step = 1 + (fnv(&format!("{seed}-{salt}")) as usize) % (xs.len() - 1);
        xs[(at.unwrap_or(0) + step) % xs.len()].to_owned()
    };
    Look {
        hair: next(HAIR, &current.hair, 1),
        hair_color: next(HAIR_COLOR, &current.hair_color, 2),
        skin: next(SKIN, &current.skin, 3),
        outfit: next(OUTFIT, &current.outfit, 4),
        accessory: next(ACCESSORY, &current.accessory, 5),
    }
}

/// What sits on an agent's desk, following its model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prop {
    /// Large models (opus, gpt-5.5, gpt-5, o3): a big book.
    Book,
    /// Small models (haiku, mini, nano): crayons.
    Crayons,
    /// The built-in demo: a rubber duck.
    Duck,
    /// Everything else: a coffee mug.
    Mug,
}

impl Prop {
    /// The CSS class of the prop's group (`prop prop-<name>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Book => "book",
            Self::Crayons => "crayons",
            Self::Duck => "duck",
            Self::Mug => "mug",
        }
    }
}

/// The prop for an agent of `backend` running `model`.
pub fn prop_for(backend: BackendKind, model: &str) -> Prop {
    let m = model.to_ascii_lowercase();
    if ["haiku", "mini", "nano", "small"]
        .iter()
        .any(|s| m.contains(s))
    {
        return Prop::Crayons;
    }
    let big = m.contains("opus")
        || m.contains("gpt-5.5")
        || m == "gpt-5"
        || m.starts_with("gpt-5-")
        || m.starts_with("o3")
        || m.contains("large");
    if big {
        return Prop::Book;
    }
    if backend == BackendKind::Demo {
        return Prop::Duck;
    }
    Prop::Mug
}

/// How many recent working directories the spawn dialog remembers.
pub const RECENT_CWDS: usize = 8;

/// `recent` with `cwd` moved to the front (trimmed, no duplicates, at most [`RECENT_CWDS`]).
pub fn remember_cwd(recent: &[String], cwd: &str) -> Vec<String> {
    let cwd = cwd.trim();
    let mut out = Vec::with_capacity(RECENT_CWDS);
    if !cwd.is_empty() {
        out.push(cwd.to_owned());
    }
    out.extend(
        recent
            .iter()
            .filter(|c| c.as_str() != cwd && !c.trim().is_empty())
            .cloned(),
    );
    out.truncate(RECENT_CWDS);
    out
}

/// The cwd suggestions: this browser's recents first, then the other agents' cwds, once each.
pub fn cwd_suggestions<'a>(
    recent: &'a [String],
    agents: impl IntoIterator<Item = &'a str>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in recent.iter().map(String::as_str).chain(agents) {
        let c = c.trim();
        if !c.is_empty() && !out.iter().any(|o| o == c) {
            out.push(c.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_always_gets_the_same_look_from_the_palettes() {
        let a = look_for_name("Ada");
        assert_eq!(a, look_for_name(" ada "));
        assert!(HAIR.contains(&a.hair.as_str()));
        assert!(HAIR_COLOR.contains(&a.hair_color.as_str()));
        assert!(SKIN.contains(&a.skin.as_str()));
        assert!(OUTFIT.contains(&a.outfit.as_str()));
        assert!(ACCESSORY.contains(&a.accessory.as_str()));
        // Different names spread over the palettes.
        let looks: std::collections::HashSet<String> = ["Ada", "Bob", "Cy", "Dee", "Eve", "Fay"]
            .iter()
            .map(|n| look_for_name(n).outfit)
            .collect();
        assert!(looks.len() > 1);
    }

    #[test]
    fn shuffle_changes_every_part() {
        let a = look_for_name("Ada");
        for seed in 0..20 {
            let b = shuffled(&a, seed);
            assert_ne!(a.hair, b.hair);
            assert_ne!(a.hair_color, b.hair_color);
            assert_ne!(a.skin, b.skin);
            assert_ne!(a.outfit, b.outfit);
            assert_ne!(a.accessory, b.accessory);
        }
    }

    #[test]
    fn props_follow_the_model() {
        use BackendKind::*;
        assert_eq!(prop_for(Claude, "claude-opus-4-5"), Prop::Book);
        assert_eq!(prop_for(Claude, "opus"), Prop::Book);
        assert_eq!(prop_for(Codex, "gpt-5.5"), Prop::Book);
        assert_eq!(prop_for(Codex, "gpt-5"), Prop::Book);
        assert_eq!(prop_for(Claude, "claude-haiku-4-5"), Prop::Crayons);
        assert_eq!(prop_for(Codex, "gpt-5-mini"), Prop::Crayons);
        assert_eq!(prop_for(Codex, "gpt-5.4-mini"), Prop::Crayons);
        assert_eq!(prop_for(Demo, "demo"), Prop::Duck);
        assert_eq!(prop_for(Claude, "claude-sonnet-4-5"), Prop::Mug);
        assert_eq!(Prop::Crayons.as_str(), "crayons");
    }

    #[test]
    fn recent_cwds_are_most_recent_first_without_duplicates() {
        let r = remember_cwd(&[], " /srv/a ");
        assert_eq!(r, ["/srv/a"]);
        let r = remember_cwd(&r, "/srv/b");
        assert_eq!(r, ["/srv/b", "/srv/a"]);
        let r = remember_cwd(&r, "/srv/a");
        assert_eq!(r, ["/srv/a", "/srv/b"]);
        let many: Vec<String> = (0..20).map(|i| format!("/d{i}")).collect();
        let r = remember_cwd(&many, "/new");
        assert_eq!(r.len(), RECENT_CWDS);
        assert_eq!(r[0], "/new");
        assert_eq!(remember_cwd(&r, "  ").len(), RECENT_CWDS);
    }

    #[test]
    fn suggestions_put_recents_first_once() {
        let recent = vec!["/a".to_owned(), "/b".to_owned()];
        let s = cwd_suggestions(&recent, ["/b", "/c", "", "/c"]);
        assert_eq!(s, ["/a", "/b", "/c"]);
    }
}
