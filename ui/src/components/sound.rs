//! The attention sound: a short two-note chime made with WebAudio in code (no asset), played
//! when an agent needs a human and this tab is hidden. Called for each `attention` event, which
//! the office's attention module raises only on the transitions that need someone.
//! Each chime bumps `data-attention-sounds` on `<html>` so tests can see it was played.

use std::cell::{Cell, RefCell};

thread_local! {
    static CONTEXT: RefCell<Option<web_sys::AudioContext>> = const { RefCell::new(None) };
    static LAST_MS: Cell<f64> = const { Cell::new(f64::NEG_INFINITY) };
}

/// Chimes closer together than this are merged into one.
const MIN_GAP_MS: f64 = 1500.0;

/// Play the chime if the tab is hidden (and the last one was not just now).
pub fn attention() {
    if !cfg!(target_arch = "wasm32") {
        return;
    }
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if !document.hidden() {
        return;
    }
    let now = js_sys::Date::now();
    if now - LAST_MS.with(Cell::get) < MIN_GAP_MS {
        return;
    }
    LAST_MS.with(|c| c.set(now));
    if let Some(root) = document.document_element() {
        let n = root
            .get_attribute("data-attention-sounds")
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0);
        let _ = root.set_attribute("data-attention-sounds", &(n + 1).to_string());
    }
    if chime().is_none() {
        web_sys::console::warn_1(&"isomux: could not play the attention sound".into());
    }
}

/// Two short sine notes (E5 then A5) with a soft attack and decay.
fn chime() -> Option<()> {
    let ctx = CONTEXT.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            *c = web_sys::AudioContext::new().ok();
        }
        c.clone()
    })?;
    // A context created without a user gesture starts suspended; resuming is allowed once the
    // page has been interacted with (it was: someone opened the office).
    let _ = ctx.resume();
    let start = ctx.current_time();
    for (i, freq) in [659.25_f32, 880.0].into_iter().enumerate() {
        let t = start + 0.16 * i as f64;
        let osc = ctx.create_oscillator().ok()?;
        osc.set_type(web_sys::OscillatorType::Sine);
        osc.frequency().set_value(freq);
        let gain = ctx.create_gain().ok()?;
        let g = gain.gain();
        g.set_value_at_time(0.0, t).ok()?;
        g.linear_ramp_to_value_at_time(0.18, t + 0.02).ok()?;
        g.exponential_ramp_to_value_at_time(0.0001, t + 0.3).ok()?;
        osc.connect_with_audio_node(&gain).ok()?;
        gain.connect_with_audio_node(&ctx.destination()).ok()?;
        osc.start_with_when(t).ok()?;
        osc.stop_with_when(t + 0.32).ok()?;
    }
    Some(())
}
