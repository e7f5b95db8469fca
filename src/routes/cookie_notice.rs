//! `/cookie-notice`: the Cookie Notice, word for word from `notice::NOTICE`.

use crate::catalog::CATALOG;
use crate::components::layout::RELATED;
use crate::notice::{Section, NOTICE};
use leptos::prelude::*;
use leptos_meta::Title;

/// The Cookie Notice, word for word from `notice::NOTICE`; its table comes from the catalog.
#[component]
pub fn CookieNoticePage() -> impl IntoView {
    let table = &NOTICE.table;
    let related = &NOTICE.related;
    view! {
        <Title text=NOTICE.title />
        <article class="section">
            <div class="container prose">
                <h1>{NOTICE.title}</h1>
                <p class="updated">{NOTICE.updated}</p>
                <NoticeSection section=&NOTICE.opening />

                <h2 id="cookie-uses">{table.heading}</h2>
                // Scrolls sideways on a phone: focusable, so that a keyboard can scroll it too.
                <div class="table-wrap" tabindex="0" role="region" aria-labelledby="cookie-uses">
                    <table class="cookie-table">
                        <thead>
                            <tr>
                                {table.columns.map(|column| view! { <th scope="col">{column}</th> })}
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
                                            <td>{if c.can_disable { table.yes } else { table.no }}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                </div>

                {NOTICE.sections.each_ref().map(|section| view! { <NoticeSection section /> })}

                <h2>{related.heading}</h2>
                <p>
                    {related.see_also}
                    <a href=RELATED[1].1>{RELATED[1].0}</a>
                    {related.separator}
                    <a href=RELATED[2].1>{RELATED[2].0}</a>
                    {related.last_separator}
                    <a href=RELATED[3].1>{RELATED[3].0}</a>
                    {related.end}
                </p>
            </div>
        </article>
    }
}

#[component]
fn NoticeSection(section: &'static Section) -> impl IntoView {
    view! {
        <h2>{section.heading}</h2>
        {section.paragraphs.iter().map(|paragraph| view! { <p>{*paragraph}</p> }).collect_view()}
    }
}
