//! `/`: the home page.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Inbound leads, captured and routed" />
        <Meta
            name="description"
            content="Leadistry captures inbound leads from your website, qualifies them with rules you write, and routes each one to the right person."
        />
        <section class="hero">
            <div class="container">
                <p class="eyebrow">"Lead generation for B2B teams"</p>
                <h1>"Every inbound lead, to the right person, while it is still warm."</h1>
                <p class="lead">
                    "Leadistry captures enquiries from your website forms, qualifies them with rules your team writes, and routes each one to the salesperson who should answer it. No lead sits unread in a shared inbox."
                </p>
                <p class="hero-actions">
                    <a class="button button-primary" href="#how-it-works">
                        "See how it works"
                    </a>
                    <a class="button button-secondary" href="#features">
                        "Explore features"
                    </a>
                </p>
            </div>
        </section>
        <section id="how-it-works" class="section">
            <div class="container">
                <h2>"How it works"</h2>
                <ol class="steps">
                    <li>
                        <h3>"Capture"</h3>
                        <p>
                            "Embed a Leadistry form or connect the forms you already have. Each submission becomes a lead with its source and answers attached."
                        </p>
                    </li>
                    <li>
                        <h3>"Qualify"</h3>
                        <p>
                            "Rules you write score each lead by company size, region or interest, so the best ones are answered first."
                        </p>
                    </li>
                    <li>
                        <h3>"Route"</h3>
                        <p>
                            "Qualified leads go to the right owner by territory or round-robin, with a reminder if nobody replies."
                        </p>
                    </li>
                </ol>
            </div>
        </section>
        <section id="features" class="section section-alt">
            <div class="container">
                <h2>"Built for small sales teams"</h2>
                <ul class="features">
                    <li>
                        <h3>"One inbox for every source"</h3>
                        <p>"Website forms, landing pages and imports land in one list you can search."</p>
                    </li>
                    <li>
                        <h3>"Rules, not guesswork"</h3>
                        <p>"Plain if-then rules decide priority; every decision shows the rule that made it."</p>
                    </li>
                    <li>
                        <h3>"Fair routing"</h3>
                        <p>"Territories, round-robin and holidays are handled, so no lead waits for someone away."</p>
                    </li>
                    <li>
                        <h3>"Privacy by default"</h3>
                        <p>
                            "Analytics on this site run only if you agree. Read our "
                            <a href="/cookie-notice">"Cookie Notice"</a> "."
                        </p>
                    </li>
                </ul>
            </div>
        </section>
    }
}
