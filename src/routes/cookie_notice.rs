use crate::catalog::CATALOG;
use crate::components::layout::RELATED;
use leptos::prelude::*;
use leptos_meta::Title;

/// The Cookie Notice, word for word; its table comes from the cookie catalog.
#[component]
pub fn CookieNoticePage() -> impl IntoView {
    view! {
        <Title text="Cookie Notice" />
        <article class="section">
            <div class="container prose">
                <h1>"Cookie Notice"</h1>
                <p class="updated">"Last updated: March 2026."</p>

                <h2>"What are cookies?"</h2>
                <p>
                    "Cookies are small text files placed on your device when you visit a website. They help websites remember your preferences, keep you signed in, and understand how you use the site. Similar technologies such as local storage and session storage serve comparable purposes."
                </p>

                <h2 id="cookie-uses">"How Leadistry uses cookies"</h2>
                // Scrolls sideways on a phone: focusable, so that a keyboard can scroll it too.
                <div class="table-wrap" tabindex="0" role="region" aria-labelledby="cookie-uses">
                    <table class="cookie-table">
                        <thead>
                            <tr>
                                <th scope="col">"Cookie type"</th>
                                <th scope="col">"Purpose"</th>
                                <th scope="col">"Examples"</th>
                                <th scope="col">"Can disable?"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {CATALOG
                                .iter()
                                .map(|c| {
                                    view! {
                                        <tr data-category=c.category.key()>
                                            <th scope="row">{c.name}</th>
                                            <td>{c.purpose}</td>
                                            <td>{c.examples}</td>
                                            <td>{if c.can_disable { "Yes" } else { "No" }}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>

                <h2>"Microsoft Clarity"</h2>
                <p>
                    "We use Microsoft Clarity for behavioural analytics. Clarity uses cookies to collect data including pages visited, clicks, scrolls, and session recordings. This data helps us improve the design, usability, and performance of Leadistry. Clarity data is processed by Microsoft and is subject to the Microsoft Privacy Statement."
                </p>
                <p>
                    "Microsoft Clarity is a non-essential analytics tool and is only loaded after consent has been provided for analytics and behavioural cookies."
                </p>

                <h2>"Essential cookies"</h2>
                <p>
                    "Essential cookies are required for the site to function. They cannot be disabled. These include the authentication token that keeps you signed in and your cookie consent preference, which remembers whether you have accepted or declined non-essential cookies."
                </p>

                <h2>"Your choices"</h2>
                <p>
                    "You can accept or decline non-essential cookies at any time using our cookie banner. To reopen your cookie preferences, click “Cookie Settings” in the footer. If you decline analytics cookies, Microsoft Clarity will not be loaded. Essential cookies remain active regardless of your preference, as they are necessary for the platform to work."
                </p>
                <p>
                    "Our cookie controls must make rejecting non-essential cookies as easy as accepting them."
                </p>

                <h2>"Browser settings"</h2>
                <p>
                    "You can also control cookies through your browser settings. Most browsers allow you to block or delete cookies. Note that blocking essential cookies may prevent you from signing in or using core features of the platform."
                </p>

                <h2>"Changes to this notice"</h2>
                <p>
                    "We may update this Cookie Notice from time to time. The most recent version is always available on this page."
                </p>

                <h2>"Related"</h2>
                <p>
                    "See also our "
                    <a href=RELATED[1].1>"Privacy Notice"</a>
                    ", "
                    <a href=RELATED[2].1>"Terms of Service"</a>
                    ", and "
                    <a href=RELATED[3].1>"Acceptable Use Policy"</a>
                    "."
                </p>
            </div>
        </article>
    }
}
