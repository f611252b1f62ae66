//! The workspace's forms: a field with its label, hint and the services'
//! refusal beside it, and a refused form shown again as it was typed.

use std::collections::HashMap;

use maud::{Markup, html};

use crate::{i18n::Lang, problem::Refused, session::Viewer};

/// What a refused form was sent with, and why it was refused.
pub struct Filled {
    /// The form's name (the action it posts to).
    pub form: String,
    pub values: HashMap<String, String>,
    pub refused: Refused,
}

/// One form of a page: its name, and what it was typed with if it was the
/// one refused.
pub struct FormView<'a> {
    pub lang: Lang,
    pub name: &'a str,
    filled: Option<&'a Filled>,
    /// The field a refusal that names none (a rule's) is shown beside.
    pinned: Option<&'a str>,
    /// For one of several forms of a kind on a page (one per petition): the
    /// id it acts on, which keeps its field ids apart from the others'.
    item: Option<&'a str>,
}

impl<'a> FormView<'a> {
    pub fn new(lang: Lang, name: &'a str, filled: Option<&'a Filled>) -> Self {
        Self { lang, name, filled: filled.filter(|f| f.form == name), pinned: None, item: None }
    }

    /// The form of its kind that acts on `id`, sent as the hidden `field`.
    pub fn item(lang: Lang, name: &'a str, filled: Option<&'a Filled>, field: &str, id: &'a str) -> Self {
        let filled = filled.filter(|f| f.form == name && f.values.get(field).is_some_and(|v| v == id));
        Self { lang, name, filled, pinned: None, item: Some(id) }
    }

    /// Shows a refusal that names no field (a rule's) beside `field`.
    pub fn pinned(self, field: &'a str) -> Self {
        Self { pinned: Some(field), ..self }
    }

    /// What the field holds: as typed, when the form was refused; `default` otherwise.
    pub fn value(&self, field: &str, default: &str) -> String {
        match self.filled {
            Some(filled) => filled.values.get(field).cloned().unwrap_or_default(),
            None => default.to_owned(),
        }
    }

    fn id(&self, field: &str) -> String {
        match self.item {
            Some(item) => format!("{}-{item}-{field}", self.name),
            None => format!("{}-{field}", self.name),
        }
    }

    /// The refusal's words for a field, with its rule.
    pub fn error(&self, field: &str) -> Option<String> {
        let refused = &self.filled?.refused;
        match refused.for_field(field) {
            Some(why) => Some(format!("{why} ({})", refused.reason)),
            None if refused.fields.is_empty() && self.pinned == Some(field) => {
                Some(format!("{} ({})", refused.message, refused.reason))
            }
            None => None,
        }
    }

    /// The refusal as a whole, at the top of the form, with its rule.
    pub fn alert(&self) -> Markup {
        html! {
            @if let Some(filled) = self.filled {
                div.alert role="alert" id={ (self.id("refused")) } {
                    p { strong { (self.lang.t("Không thực hiện được: ", "Refused: ")) } (filled.refused.message) " (" (filled.refused.reason) ")" }
                }
            }
        }
    }

    /// The hidden fields every workspace form carries: the session's
    /// anti-forgery token, the page to come back to, and an id that makes
    /// sending it twice do it once.
    pub fn hidden(&self, viewer: &Viewer, back: &str) -> Markup {
        let request_id = self.value("request_id", "");
        let request_id = if request_id.is_empty() { uuid::Uuid::new_v4().to_string() } else { request_id };
        html! {
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="back" value=(back);
            input type="hidden" name="request_id" value=(request_id);
        }
    }

    fn described(&self, field: &str, hint: bool) -> Option<String> {
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{}-hint", self.id(field)));
        }
        if self.error(field).is_some() {
            ids.push(format!("{}-error", self.id(field)));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }

    fn label(&self, field: &str, label: &str, hint: Option<&str>, required: bool) -> Markup {
        let id = self.id(field);
        html! {
            label for=(id) { (label) @if !required { " " span.muted { (self.lang.t("(không bắt buộc)", "(optional)")) } } }
            @if let Some(hint) = hint { p.hint id={ (id) "-hint" } { (hint) } }
            @if let Some(error) = self.error(field) { p.error id={ (id) "-error" } { (error) } }
        }
    }

    /// `<input>` of a `kind` (text, date, time, number, tel).
    pub fn input(
        &self,
        field: &str,
        label: &str,
        kind: &str,
        default: &str,
        hint: Option<&str>,
        required: bool,
    ) -> Markup {
        let id = self.id(field);
        html! {
            (self.label(field, label, hint, required))
            input id=(id) name=(field) type=(kind) value=(self.value(field, default)) required[required]
                aria-invalid=[self.error(field).map(|_| "true")]
                aria-describedby=[self.described(field, hint.is_some())];
        }
    }

    pub fn textarea(&self, field: &str, label: &str, default: &str, required: bool) -> Markup {
        let id = self.id(field);
        html! {
            (self.label(field, label, None, required))
            textarea id=(id) name=(field) rows="3" required[required]
                aria-invalid=[self.error(field).map(|_| "true")]
                aria-describedby=[self.described(field, false)] { (self.value(field, default)) }
        }
    }

    /// `<select>` of (value, text) options, with an empty first choice.
    pub fn select(
        &self,
        field: &str,
        label: &str,
        options: &[(String, String)],
        default: &str,
        hint: Option<&str>,
        required: bool,
    ) -> Markup {
        let id = self.id(field);
        let chosen = self.value(field, default);
        html! {
            (self.label(field, label, hint, required))
            select id=(id) name=(field) required[required]
                aria-invalid=[self.error(field).map(|_| "true")]
                aria-describedby=[self.described(field, hint.is_some())] {
                option value="" { (self.lang.t("— Chọn —", "— Choose —")) }
                @for (value, text) in options { option value=(value) selected[*value == chosen] { (text) } }
            }
        }
    }

    pub fn checkbox(&self, field: &str, label: &str) -> Markup {
        let id = self.id(field);
        let checked = self.filled.is_some_and(|f| f.values.get(field).is_some_and(|v| v == "on"));
        html! {
            label.check for=(id) { input id=(id) name=(field) type="checkbox" checked[checked]; " " (label) }
        }
    }
}

/// A form that is one button: the step it takes, with what it needs hidden.
pub fn button(viewer: &Viewer, action: &str, back: &str, label: &str, fields: &[(&str, &str)]) -> Markup {
    html! {
        form.inline-action method="post" action=(action) {
            input type="hidden" name="csrf" value=(viewer.csrf);
            input type="hidden" name="back" value=(back);
            input type="hidden" name="request_id" value=(uuid::Uuid::new_v4().to_string());
            @for (name, value) in fields { input type="hidden" name=(name) value=(value); }
            button type="submit" { (label) }
        }
    }
}
