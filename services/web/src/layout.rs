//! The shell of every page: language, header with the navigation and the
//! language switch, skip link, main landmark, footer.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::{i18n::Lang, session::Viewer};

pub const STYLE: &str = include_str!("../assets/style.css");
/// The workspace's few live parts: the speakers' queue kept fresh, the
/// R7.3 and R10.2 checks as a form is filled.
pub const SCRIPT: &str = include_str!("../assets/work.js");

pub fn page(lang: Lang, title: &str, viewer: Option<&Viewer>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (lang.t("Đối thoại với Nhân dân", "Dialogue with citizens")) }
                link rel="stylesheet" href="/assets/style.css";
            }
            body {
                a.skip href="#main" { (lang.t("Chuyển đến nội dung chính", "Skip to the main content")) }
                header.site {
                    a.brand href="/" { (lang.t("Đối thoại với Nhân dân", "Dialogue with citizens")) }
                    nav aria-label=(lang.t("Điều hướng chính", "Main navigation")) {
                        ul {
                            li { a href="/" { (lang.t("Hội nghị", "Conferences")) } }
                            li { a href="/petitions" { (lang.t("Tra cứu kiến nghị", "Petition status")) } }
                            li { a href="/figures" { (lang.t("Số liệu", "Figures")) } }
                            @if let Some(viewer) = viewer {
                                @if viewer.works() {
                                    li { a href="/work" { (lang.t("Việc của tôi", "My work")) } }
                                }
                                @if viewer.may_oversee() {
                                    li { a href={ "/oversight/" (viewer.unit) } { (lang.t("Giám sát", "Oversight")) } }
                                }
                                li {
                                    form.inline method="post" action="/signout" {
                                        input type="hidden" name="csrf" value=(viewer.csrf);
                                        button type="submit" { (lang.t("Đăng xuất", "Sign out")) " (" (viewer.subject) ")" }
                                    }
                                }
                            } @else {
                                li { a href="/signin" { (lang.t("Đăng nhập", "Sign in")) } }
                            }
                            li {
                                @match lang {
                                    Lang::Vi => a href="/lang/en" lang="en" { "English" },
                                    Lang::En => a href="/lang/vi" lang="vi" { "Tiếng Việt" },
                                }
                            }
                        }
                    }
                }
                main id="main" { (body) }
                footer.site {
                    p { (lang.t(
                        "Thực hiện Quy định 1548-QĐ/TU (2019) về tiếp xúc, đối thoại trực tiếp giữa người đứng đầu cấp ủy, chính quyền với Nhân dân.",
                        "Under Regulation 1548-QĐ/TU (2019) on direct contact and dialogue between the heads of Party committees and governments and the people.",
                    )) }
                }
            }
        }
    }
}

/// A small inline SVG (a chart) placed as it is: the charts crate escapes its text.
pub fn svg(markup: &str) -> Markup {
    PreEscaped(markup.to_owned())
}
