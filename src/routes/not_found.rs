//! The page for a path the site does not have, answered 404 inside the layout.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found" />
        <section class="section">
            <div class="container prose">
                <h1>"Page not found"</h1>
                <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
                <p>
                    <a class="button button-primary" href="/">
                        "Go to the home page"
                    </a>
                </p>
            </div>
        </section>
    }
}
