//! `isomux doctor`: which agent CLIs are installed and usable. The real backends' own checks
//! (versions, login state) extend this; today it reports what the office can run.

/// One line per backend: kind, usable, detail.
pub fn report() -> Vec<(String, bool, String)> {
    isomux_agents::all()
        .iter()
        .map(|b| {
            let d = b.describe();
            (
                d.kind.as_str().to_owned(),
                d.usable,
                d.detail.unwrap_or_default(),
            )
        })
        .collect()
}
