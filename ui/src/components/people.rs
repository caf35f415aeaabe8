//! People (issue 5): the owner's panel for invites (mint for a member or an owner, the link
//! shown once with a copy button and a QR code; list and revoke), members (role, room access,
//! removal), signed-in devices (list, sign out) and personal API tokens (mint, shown once;
//! list, revoke). A member gets the same panel cut to their own devices: "Link another device"
//! (`POST /api/invites/self`) and their sessions. Lists are reloaded after every change.

use crate::qr;
use crate::store::{Store, use_store};
use crate::transport::{self, ApiError};
use isomux_protocol::op::responses::{
    ApiTokenCreated, ApiTokensBody, AuthSessionsBody, InviteCreated, InvitesBody, MembersBody,
};
use isomux_protocol::{
    ApiTokenInfo, AuthSessionInfo, InviteInfo, InviteStatus, Me, MemberId, MemberInfo, Op, Role,
    RoomId,
};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// Invite lifetimes offered (seconds, label).
const TTLS: &[(i64, &str)] = &[
    (3600, "1 hour"),
    (86_400, "1 day"),
    (7 * 86_400, "7 days"),
    (30 * 86_400, "30 days"),
];

/// A member's room access after ticking (`on`) or unticking `room`; `None` is every room.
/// Unticking from "every room" keeps all the others; ticking the last one back is "every room".
pub fn toggle_room(
    current: Option<&[RoomId]>,
    all: &[RoomId],
    room: &RoomId,
    on: bool,
) -> Option<Vec<RoomId>> {
    let mut rooms: Vec<RoomId> = current.map_or_else(|| all.to_vec(), <[RoomId]>::to_vec);
    rooms.retain(|r| r != room && all.contains(r));
    if on {
        rooms.push(room.clone());
    }
    if all.iter().all(|r| rooms.contains(r)) {
        return None;
    }
    rooms.sort_by_key(|r| all.iter().position(|a| a == r));
    Some(rooms)
}

/// Human wording of an invite's status.
pub fn invite_status(s: InviteStatus) -> &'static str {
    match s {
        InviteStatus::Open => "open",
        InviteStatus::Consumed => "used",
        InviteStatus::Expired => "expired",
        InviteStatus::Revoked => "revoked",
    }
}

fn role_name(r: Role) -> &'static str {
    match r {
        Role::Owner => "owner",
        Role::Member => "member",
    }
}

/// Local date and time of a Unix-milliseconds timestamp.
fn when(ms: i64) -> String {
    #[allow(
        clippy::cast_precision_loss,
        reason = "milliseconds since 1970 fit an f64 exactly"
    )]
    let d = js_sys::Date::new(&(ms as f64).into());
    format!(
        "{}-{:02}-{:02} {:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes()
    )
}

/// Everything the panel lists.
#[derive(Debug, Clone, Default, PartialEq)]
struct Lists {
    invites: Vec<InviteInfo>,
    sessions: Vec<AuthSessionInfo>,
    members: Vec<MemberInfo>,
    tokens: Vec<ApiTokenInfo>,
}

async fn load(owner: bool) -> Result<Lists, ApiError> {
    let invites = transport::call_as::<InvitesBody>(&Op::ListInvites).await?;
    let sessions = transport::call_as::<AuthSessionsBody>(&Op::ListAuthSessions).await?;
    let (members, tokens) = if owner {
        (
            transport::call_as::<MembersBody>(&Op::ListMembers)
                .await?
                .members,
            transport::call_as::<ApiTokensBody>(&Op::ListApiTokens)
                .await?
                .tokens,
        )
    } else {
        Default::default()
    };
    Ok(Lists {
        invites: invites.invites,
        sessions: sessions.sessions,
        members,
        tokens,
    })
}

/// Copies text to the clipboard (async API; a failure says so).
fn copy(text: String, done: RwSignal<Option<&'static str>>) {
    let clipboard = js_sys::Reflect::get(&window(), &"navigator".into())
        .and_then(|n| js_sys::Reflect::get(&n, &"clipboard".into()))
        .ok()
        .filter(|c| !c.is_undefined());
    let write = clipboard.as_ref().and_then(|c| {
        js_sys::Reflect::get(c, &"writeText".into())
            .ok()?
            .dyn_into::<js_sys::Function>()
            .ok()
    });
    let (Some(c), Some(write)) = (clipboard, write) else {
        done.set(Some("Select the link and copy it"));
        return;
    };
    let Ok(promise) = write.call1(&c, &text.into()) else {
        done.set(Some("Select the link and copy it"));
        return;
    };
    let promise = js_sys::Promise::from(promise);
    leptos::task::spawn_local(async move {
        let ok = wasm_bindgen_futures::JsFuture::from(promise).await.is_ok();
        done.set(Some(if ok {
            "Copied"
        } else {
            "Select the link and copy it"
        }));
    });
}

/// The office header's button and its panel.
#[component]
pub fn PeopleButton() -> impl IntoView {
    let store = use_store();
    let open = RwSignal::new(false);
    let owner = Memo::new(move |_| {
        store.state.with(|s| {
            matches!(
                s.me,
                Some(Me::Human {
                    role: Role::Owner,
                    ..
                })
            )
        })
    });
    let human = Memo::new(move |_| store.state.with(|s| matches!(s.me, Some(Me::Human { .. }))));
    view! {
        <Show when=move || human.get()>
            <button id="people-toggle" type="button" class="secondary people-toggle"
                title=move || if owner.get() { "People: invites, members, devices, API tokens" } else { "Your devices" }
                on:click=move |_| open.set(true)>
                {move || if owner.get() { "People" } else { "Devices" }}
            </button>
        </Show>
        {move || open.get().then(|| view! {
            <PeoplePanel owner=owner.get_untracked() on_close=Callback::new(move |()| open.set(false)) />
        })}
    }
}

/// Runs an op, then reloads the lists; failures go to `error`.
fn act(store: Store, op: Op, error: RwSignal<Option<String>>, reload: RwSignal<u32>) {
    leptos::task::spawn_local(async move {
        match transport::call(&op).await {
            Ok(_) => error.set(None),
            Err(ApiError::Unauthorized) => store.signed_out(),
            Err(e) => error.set(Some(e.to_string())),
        }
        reload.update(|n| *n += 1);
    });
}

#[component]
fn PeoplePanel(owner: bool, on_close: Callback<()>) -> impl IntoView {
    let store = use_store();
    let lists = RwSignal::new(None::<Lists>);
    let error = RwSignal::new(None::<String>);
    let reload = RwSignal::new(0u32);
    Effect::new(move |_| {
        reload.track();
        leptos::task::spawn_local(async move {
            match load(owner).await {
                Ok(l) => lists.set(Some(l)),
                Err(ApiError::Unauthorized) => store.signed_out(),
                Err(e) => error.set(Some(e.to_string())),
            }
        });
    });
    super::panels::close_on_escape(on_close);
    let my_id = store.state.with_untracked(|s| match &s.me {
        Some(Me::Human { member_id, .. }) => Some(member_id.clone()),
        _ => None,
    });

    view! {
        <div class="modal-backdrop" on:click=move |_| on_close.run(())>
            <section id="people-panel" class="modal people" role="dialog"
                aria-label=if owner { "People" } else { "Your devices" }
                on:click=|ev| ev.stop_propagation()>
                <h2>{if owner { "People" } else { "Your devices" }}</h2>
                <InviteForm owner error reload />
                {move || lists.get().map(|l| {
                    let my_id = my_id.clone();
                    view! {
                        {owner.then(|| view! { <MemberList members=l.members.clone() my_id=my_id.clone() error reload /> })}
                        <InviteList invites=l.invites.clone() owner error reload />
                        <SessionList sessions=l.sessions.clone() owner error reload />
                        {owner.then(|| view! { <TokenSection tokens=l.tokens.clone() error reload /> })}
                    }
                })}
                <p id="people-error" class="error" role="alert" hidden=move || error.with(Option::is_none)>
                    {move || error.get().unwrap_or_default()}
                </p>
                <div class="actions">
                    <button id="people-close" type="button" class="secondary"
                        on:click=move |_| on_close.run(())>"Close"</button>
                </div>
            </section>
        </div>
    }
}

/// A secret shown once: the text, a copy button and (for links) a QR code.
#[component]
fn ShownOnce(id: &'static str, text: String, qr: bool, note: &'static str) -> impl IntoView {
    let copied = RwSignal::new(None::<&'static str>);
    let drawn = qr.then(|| qr::draw(&text)).flatten();
    let for_copy = text.clone();
    view! {
        <div id=id class="shown-once">
            <p class="small">{note}</p>
            <div class="row once-row">
                <input class="once-text" readonly prop:value=text
                    on:focus=|ev| {
                        if let Some(i) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                            i.select();
                        }
                    } />
                <button type="button" class="once-copy"
                    on:click=move |_| copy(for_copy.clone(), copied)>"Copy"</button>
            </div>
            <span class="small copy-status" role="status">{move || copied.get().unwrap_or_default()}</span>
            {drawn.map(|d| {
                let (view_box, side) = (d.view_box(), d.size + 2 * qr::QUIET);
                view! {
                <svg class="qr" viewBox=view_box width="176" height="176" role="img"
                    aria-label="QR code of the link" shape-rendering="crispEdges">
                    <rect class="qr-bg" x=-qr::QUIET y=-qr::QUIET width=side height=side />
                    <path class="qr-dark" d=d.path />
                </svg>
                }
            })}
        </div>
    }
}

/// Mint an invite (owner) or a device link (anyone).
#[component]
fn InviteForm(
    owner: bool,
    error: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let store = use_store();
    let role = RwSignal::new("member".to_owned());
    let ttl = RwSignal::new(86_400i64);
    let minted = RwSignal::new(None::<String>);
    let mint = move |op: Op| {
        leptos::task::spawn_local(async move {
            match transport::call_as::<InviteCreated>(&op).await {
                Ok(body) => {
                    error.set(None);
                    minted.set(Some(body.url));
                }
                Err(ApiError::Unauthorized) => store.signed_out(),
                Err(e) => error.set(Some(e.to_string())),
            }
            reload.update(|n| *n += 1);
        });
    };
    let ttl_select = move || {
        view! {
            <select id="invite-ttl" on:change=move |ev| {
                if let Ok(v) = event_target_value(&ev).parse() {
                    ttl.set(v);
                }
            }>
                {TTLS.iter().map(|(secs, label)| {
                    let secs = *secs;
                    view! { <option value=secs.to_string() selected=move || ttl.get() == secs>{*label}</option> }
                }).collect_view()}
            </select>
        }
    };
    view! {
        <section class="people-section invite-form">
            <h3>{if owner { "Invite someone" } else { "Link another device" }}</h3>
            {if owner {
                view! {
                    <div class="row">
                        <label>"Role"
                            <select id="invite-role" on:change=move |ev| role.set(event_target_value(&ev))>
                                <option value="member" selected=move || role.get() == "member">"member"</option>
                                <option value="owner" selected=move || role.get() == "owner">"owner"</option>
                            </select>
                        </label>
                        <label>"Valid for" {ttl_select()}</label>
                        <button id="invite-create" type="button" class="align-end"
                            on:click=move |_| {
                                let r = if role.get_untracked() == "owner" { Role::Owner } else { Role::Member };
                                mint(Op::CreateInvite { role: r, ttl_secs: Some(ttl.get_untracked()) });
                            }>"Create invite link"</button>
                    </div>
                }.into_any()
            } else {
                view! {
                    <p class="small">"Open the link on your other device to sign in there as yourself."</p>
                    <div class="row">
                        <label>"Valid for" {ttl_select()}</label>
                    </div>
                }.into_any()
            }}
            <button id="device-link-create" type="button" class="secondary"
                on:click=move |_| mint(Op::CreateDeviceLink { ttl_secs: Some(ttl.get_untracked()) })>
                "Link another device"
            </button>
            {move || minted.get().map(|url| view! {
                <ShownOnce id="invite-result" text=url qr=true
                    note="This link is shown only now: send it, or scan the code with a phone. It works once." />
            })}
        </section>
    }
}

#[component]
fn InviteList(
    invites: Vec<InviteInfo>,
    owner: bool,
    error: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let store = use_store();
    let empty = invites.is_empty();
    view! {
        <section class="people-section">
            <h3>{if owner { "Invites" } else { "Your device links" }}</h3>
            {empty.then(|| view! { <p class="small">"None yet."</p> })}
            <ul id="invite-list" class="people-list">
                {invites.into_iter().map(|i| {
                    let prefix = i.prefix.clone();
                    let open = i.status == InviteStatus::Open;
                    view! {
                        <li class="invite" data-prefix=i.prefix.clone() data-status=invite_status(i.status)>
                            <span class="who">{role_name(i.role)}{if i.member_id.is_some() && i.status == InviteStatus::Open { " (device link)" } else { "" }}</span>
                            <span class="small">{invite_status(i.status)}</span>
                            <span class="small grow">{format!("until {}", when(i.expires_at))}</span>
                            {open.then(|| view! {
                                <button type="button" class="secondary invite-revoke"
                                    on:click=move |_| act(store, Op::RevokeInvite { prefix: prefix.clone() }, error, reload)>
                                    "Revoke"
                                </button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn MemberList(
    members: Vec<MemberInfo>,
    my_id: Option<MemberId>,
    error: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let store = use_store();
    let rooms = store.state.with_untracked(|s| {
        s.rooms
            .iter()
            .map(|r| (r.id.clone(), r.name.clone()))
            .collect::<Vec<_>>()
    });
    let all: Vec<RoomId> = rooms.iter().map(|(id, _)| id.clone()).collect();
    view! {
        <section class="people-section">
            <h3>"Members"</h3>
            <ul id="member-list" class="people-list">
                {members.into_iter().map(|m| {
                    let me = my_id.as_ref() == Some(&m.id);
                    let id = StoredValue::new(m.id.clone());
                    let is_owner = m.role == Role::Owner;
                    let access = StoredValue::new(m.rooms.clone());
                    let all = StoredValue::new(all.clone());
                    let room_boxes = (!is_owner).then(|| rooms.iter().map(|(rid, name)| {
                        let checked = m.rooms.as_ref().is_none_or(|r| r.contains(rid));
                        let rid = rid.clone();
                        view! {
                            <label class="room-access">
                                <input type="checkbox" class="member-room" data-room-id=rid.to_string()
                                    prop:checked=checked
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let next = access.with_value(|cur| all.with_value(|all| toggle_room(cur.as_deref(), all, &rid, on)));
                                        act(store, Op::UpdateMember { member_id: id.get_value(), role: None, rooms: Some(next) }, error, reload);
                                    } />
                                {name.clone()}
                            </label>
                        }
                    }).collect_view());
                    view! {
                        <li class="member" data-member-id=m.id.to_string() data-role=role_name(m.role)>
                            <span class="who">{m.name.clone()}{me.then_some(" (you)")}</span>
                            <select class="member-role" aria-label="Role" disabled=me
                                on:change=move |ev| {
                                    let role = if event_target_value(&ev) == "owner" { Role::Owner } else { Role::Member };
                                    act(store, Op::UpdateMember { member_id: id.get_value(), role: Some(role), rooms: None }, error, reload);
                                }>
                                <option value="member" selected=!is_owner>"member"</option>
                                <option value="owner" selected=is_owner>"owner"</option>
                            </select>
                            <span class="rooms-access grow">
                                {if is_owner { Some(view! { <span class="small">"every room"</span> }.into_any()) } else { room_boxes.map(IntoAny::into_any) }}
                            </span>
                            {(!me).then(|| view! {
                                <button type="button" class="danger member-remove"
                                    on:click=move |_| act(store, Op::RemoveMember { member_id: id.get_value() }, error, reload)>
                                    "Remove"
                                </button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn SessionList(
    sessions: Vec<AuthSessionInfo>,
    owner: bool,
    error: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let store = use_store();
    view! {
        <section class="people-section">
            <h3>{if owner { "Signed-in devices" } else { "Your signed-in devices" }}</h3>
            <ul id="session-list" class="people-list">
                {sessions.into_iter().map(|s| {
                    let prefix = s.prefix.clone();
                    let device = s.device.clone().unwrap_or_else(|| "a browser".into());
                    view! {
                        <li class="auth-session" class:current=s.current data-prefix=s.prefix.clone()
                            data-member-id=s.member_id.to_string()>
                            <span class="who">{s.member_name.clone()}</span>
                            <span class="small">{device}</span>
                            <span class="small grow">{format!("seen {}", when(s.last_seen))}</span>
                            {s.current.then(|| view! { <span class="current-tag">"this device"</span> })}
                            <button type="button" class="secondary session-revoke"
                                on:click=move |_| act(store, Op::RevokeAuthSession { prefix: prefix.clone() }, error, reload)>
                                {if s.current { "Sign out" } else { "Revoke" }}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn TokenSection(
    tokens: Vec<ApiTokenInfo>,
    error: RwSignal<Option<String>>,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let store = use_store();
    let name = RwSignal::new(String::new());
    let secret = RwSignal::new(None::<String>);
    let create = move |_| {
        let n = name.get_untracked().trim().to_owned();
        if n.is_empty() {
            error.set(Some("Name the token (what will use it?).".into()));
            return;
        }
        leptos::task::spawn_local(async move {
            match transport::call_as::<ApiTokenCreated>(&Op::CreateApiToken {
                name: n,
                ttl_secs: None,
            })
            .await
            {
                Ok(body) => {
                    error.set(None);
                    name.set(String::new());
                    secret.set(Some(body.secret));
                }
                Err(ApiError::Unauthorized) => store.signed_out(),
                Err(e) => error.set(Some(e.to_string())),
            }
            reload.update(|n| *n += 1);
        });
    };
    view! {
        <section class="people-section">
            <h3>"API tokens"</h3>
            <p class="small">"For scripts: " <code>"Authorization: Bearer isx_pat_…"</code> ", acting as you."</p>
            <div class="row">
                <input id="token-name" placeholder="Token name, e.g. CI" autocomplete="off"
                    prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev)) />
                <button id="token-create" type="button" on:click=create>"Create token"</button>
            </div>
            {move || secret.get().map(|s| view! {
                <ShownOnce id="token-secret" text=s qr=false note="Shown only now: store it somewhere safe." />
            })}
            <ul id="token-list" class="people-list">
                {tokens.into_iter().map(|t| {
                    let prefix = t.prefix.clone();
                    view! {
                        <li class="api-token" data-prefix=t.prefix>
                            <span class="who">{t.name.clone()}</span>
                            <span class="small grow">{t.last_used.map_or_else(|| "never used".to_owned(), |u| format!("used {}", when(u)))}</span>
                            <button type="button" class="secondary token-revoke"
                                on:click=move |_| act(store, Op::RevokeApiToken { prefix: prefix.clone() }, error, reload)>
                                "Revoke"
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<RoomId> {
        v.iter().map(|s| RoomId::from(*s)).collect()
    }

    #[test]
    fn room_access_toggles() {
        let all = ids(&["rm_a", "rm_b", "rm_c"]);
        let b = RoomId::from("rm_b");
        // From every room, untick one: the others stay.
        assert_eq!(
            toggle_room(None, &all, &b, false),
            Some(ids(&["rm_a", "rm_c"]))
        );
        // Tick it back: every room again.
        assert_eq!(
            toggle_room(Some(&ids(&["rm_a", "rm_c"])), &all, &b, true),
            None
        );
        // Ticking keeps the rooms' order.
        assert_eq!(
            toggle_room(Some(&ids(&["rm_c"])), &all, &RoomId::from("rm_a"), true),
            Some(ids(&["rm_a", "rm_c"]))
        );
        // Rooms that no longer exist fall away; no room at all is a valid (empty) access.
        assert_eq!(
            toggle_room(
                Some(&ids(&["rm_gone", "rm_a"])),
                &all,
                &RoomId::from("rm_a"),
                false
            ),
            Some(vec![])
        );
    }

    #[test]
    fn invite_wording() {
        assert_eq!(invite_status(InviteStatus::Consumed), "used");
        assert_eq!(invite_status(InviteStatus::Open), "open");
    }
}
