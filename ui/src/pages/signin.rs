//! Screens before the office: "connecting" while the first snapshot loads, and "signed out"
//! when the server answers 401 (the only way in is an invite link).

use crate::store::{Conn, use_store};
use leptos::prelude::*;

#[component]
pub fn SignedOut() -> impl IntoView {
    view! {
        <main id="signed-out" class="splash">
            <div class="splash-card">
                <div class="logo" aria-hidden="true">"▱"</div>
                <h1>"Isomux"</h1>
                <p class="lead">
                    "You are not signed in: open your invite link (the server printed an Owner link)."
                </p>
                <p class="small">
                    "Lost it? On the server, "
                    <code>"isomux invite --owner"</code>
                    " prints a fresh one."
                </p>
            </div>
        </main>
    }
}

#[component]
pub fn Connecting() -> impl IntoView {
    let store = use_store();
    view! {
        <main id="connecting" class="splash">
            <div class="splash-card">
                <div class="logo spin" aria-hidden="true">"▱"</div>
                <h1>"Isomux"</h1>
                <p class="lead">"Opening the office…"</p>
                {move || match store.conn.get() {
                    Conn::Offline(why) => Some(view! { <p class="small error">{why}" Retrying…"</p> }),
                    _ => None,
                }}
            </div>
        </main>
    }
}
