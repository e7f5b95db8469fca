//! The application's state, made once at start-up: what every middleware, page and server
//! function of a request reads, in one place.

use crate::assets::Assets;
use crate::config::{keys::ConsentKeys, SiteSettings};
use crate::csp::PageCsp;
use crate::receipts::ConsentLog;
use crate::render_cache::RenderCache;
use crate::stats::counters::Counters;
use axum::extract::FromRef;
use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use leptos::{config::LeptosOptions, prelude::use_context};
use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        atomic::{AtomicU32, Ordering},
        Arc,
    },
};

/// The application state: one `Arc`, as every middleware takes a copy of it for each request
/// (copying its fields one by one was a quarter of the server's time on a kept page, by
/// `perf` under `bench/server.sh`). Handlers take what they need of it (`FromRef`).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

pub struct Shared {
    pub leptos: LeptosOptions,
    pub settings: Arc<SiteSettings>,
    /// The keys in force: the configured ones, or the one made beside the log.
    pub keys: Arc<ConsentKeys>,
    pub log: ConsentLog,
    pub limiter: SaveLimiter,
    pub assets: Assets,
    /// The pages' Content-Security-Policy, by the hashes of their inline sources.
    pub page_csp: PageCsp,
    /// Pages rendered once and served from memory.
    pub render_cache: RenderCache,
    /// What this instance counted that receipts cannot show, not yet in the log.
    pub counters: Counters,
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What leptos_axum's handlers take.
impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos.clone()
    }
}

impl FromRef<AppState> for RenderCache {
    fn from_ref(state: &AppState) -> Self {
        state.render_cache.clone()
    }
}

impl AppState {
    pub fn new(
        leptos: LeptosOptions,
        settings: SiteSettings,
        keys: ConsentKeys,
        log: ConsentLog,
    ) -> Self {
        let assets = Assets::read(&leptos);
        Self(Arc::new(Shared {
            page_csp: PageCsp::new(&assets, &settings, &leptos),
            render_cache: RenderCache::new(settings.page_cache_kib * 1024),
            assets,
            limiter: SaveLimiter::new(&settings),
            counters: Counters::new(settings.policy_revision),
            leptos,
            settings: Arc::new(settings),
            keys: Arc::new(keys),
            log,
        }))
    }

    /// The state, from the reactive context the server gives each page render and server
    /// function; `None` outside one.
    pub fn from_context() -> Option<Self> {
        use_context::<Self>()
    }
}

/// How often the rate limiter forgets clients whose allowance is full again.
const FORGET_EVERY: u32 = 4096;

/// Consent saves per client: a burst, then a steady rate.
#[derive(Clone)]
pub struct SaveLimiter {
    limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    checks: Arc<AtomicU32>,
}

impl SaveLimiter {
    fn new(settings: &SiteSettings) -> Self {
        let per_minute = NonZeroU32::new(settings.saves_per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(settings.saves_burst).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: Arc::new(RateLimiter::keyed(
                Quota::per_minute(per_minute).allow_burst(burst),
            )),
            checks: Arc::new(AtomicU32::new(0)),
        }
    }

    /// `None` when the client may save now, else the seconds until it may.
    pub fn over_limit(&self, client: IpAddr) -> Option<u64> {
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(FORGET_EVERY)
        {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
        self.limiter.check_key(&client).err().map(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}
