//! The components a partial export or import names (`exportOptions`,
//! `importOptions`: `tasks`, `nlpData`, `settings`) and the top-level keys of
//! `botDefinition.json` each one stands for.
//!
//! Derived from the real partial exports of one bot (fixtures
//! `demobot-Export_{All,BotTasks,NLPData,WithoutSettings}`): a key present in
//! `All` but absent, empty or cut down in the export that left a component
//! out belongs to that component. Keys in none of the rows (`_id`, `refId`,
//! `localeData`, `scenes`, `mlParams`, …) are in every export.

use serde_json::Value;

/// The three lists of the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Tasks,
    NlpData,
    Settings,
}

impl Group {
    pub fn field(self) -> &'static str {
        match self {
            Group::Tasks => "tasks",
            Group::NlpData => "nlpData",
            Group::Settings => "settings",
        }
    }
}

/// What a key becomes in an export that leaves its component out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Left {
    /// The key is not there.
    Absent,
    /// The key is there, empty (`[]` or `{}`).
    Empty,
    /// Each element keeps only these fields (the task stays nameable).
    Stub(&'static [&'static str]),
}

const DIALOG_STUB: &[&str] = &[
    "_id",
    "refId",
    "lname",
    "localeData",
    "amendConfig",
    "vNameSpace",
];
const COMPONENT_STUB: &[&str] = &[
    "_id",
    "refId",
    "name",
    "type",
    "localeData",
    "useTaskLevelNs",
    "vNameSpace",
    // Service nodes keep their identity-provider link.
    "idp",
];
use Left::{Absent, Empty, Stub};

/// One row: a component and the top-level keys it stands for.
pub type Component = (Group, &'static str, &'static [(&'static str, Left)]);

/// `(group, component, keys)`: the one table both export and import read.
pub const COMPONENTS: &[Component] = &[
    (
        Group::Tasks,
        "botTask",
        &[
            ("dialogs", Stub(DIALOG_STUB)),
            ("dialogComponents", Stub(COMPONENT_STUB)),
            ("panels", Absent),
            ("widgets", Absent),
        ],
    ),
    (Group::Tasks, "knowledgeGraph", &[("knowledgeTasks", Empty)]),
    (Group::Tasks, "smallTalk", &[("smallTalk", Empty)]),
    (Group::NlpData, "utterances", &[("sentences", Empty)]),
    (Group::NlpData, "patterns", &[("patterns", Empty)]),
    (Group::NlpData, "standardResponses", &[("botEvents", Empty)]),
    (
        Group::NlpData,
        "nlpSettings",
        &[
            ("botSentimentEvents", Absent),
            ("enableNegativePatterns", Absent),
        ],
    ),
    // Variables also fill `config.json`'s `envVariables` (empty when left out).
    (
        Group::Settings,
        "botVariables",
        &[
            ("namespaces", Empty),
            ("variables", Absent),
            ("vNameSpace", Absent),
            ("evVNameSpace", Absent),
            ("krVNameSpace", Absent),
        ],
    ),
    (
        Group::Settings,
        "ivrSettings",
        &[
            ("ivrSettings", Absent),
            ("twilioVoiceSettings", Absent),
            ("audioCodesSettings", Absent),
            ("korevgSettings", Absent),
        ],
    ),
    (Group::Settings, "botSettings", BOT_SETTINGS),
];

const BOT_SETTINGS: &[(&str, Left)] = &[
    ("bBannerColor", Absent),
    ("sBannerColor", Absent),
    ("color", Absent),
    ("categoryIds", Absent),
    ("channels", Absent),
    ("class", Absent),
    ("clearAllAuthTokens", Absent),
    ("enableInputTranslation", Absent),
    ("externalNluAdapters", Absent),
    ("featured", Absent),
    ("feedbackSurveys", Absent),
    ("hasUserEndpoint", Absent),
    ("interruptsEnabled", Absent),
    ("isDeflect", Absent),
    ("isSmartAssist", Absent),
    ("languageConfigurations", Absent),
    ("languagesToBeIgnored", Absent),
    ("notifyUserViaEmail", Absent),
    ("offKoraConfirmation", Absent),
    ("preBuiltIntegrations", Absent),
    ("runCustomScript", Absent),
    ("sendVcf", Absent),
    ("sessionClosureProcess", Absent),
    ("sessionInactiveTime", Absent),
    ("showInMp", Absent),
    ("skipMakeEditLinks", Absent),
    ("skipSessionMessage", Absent),
    ("strict_pii", Absent),
    ("translationEngines", Absent),
];

/// The components an options object selects. `None`: every component (no
/// options at all); otherwise a missing list selects nothing of its group
/// (ASSUMED, as the real partial exports always send all three lists).
#[derive(Debug, Clone, Default)]
pub struct Selection(Option<Vec<(Group, String)>>);

impl Selection {
    /// Everything.
    pub fn all() -> Self {
        Self(None)
    }

    /// Reads the `tasks`/`nlpData`/`settings` lists of an options object.
    pub fn from_options(options: &Value) -> Self {
        let mut chosen = Vec::new();
        for group in [Group::Tasks, Group::NlpData, Group::Settings] {
            let names = options.get(group.field()).and_then(Value::as_array);
            for name in names.into_iter().flatten().filter_map(Value::as_str) {
                chosen.push((group, name.to_owned()));
            }
        }
        Self(Some(chosen))
    }

    /// Whether the options name any component at all.
    pub fn names_any_list(options: &Value) -> bool {
        [Group::Tasks, Group::NlpData, Group::Settings]
            .iter()
            .any(|g| options.get(g.field()).is_some())
    }

    pub fn includes(&self, group: Group, component: &str) -> bool {
        match &self.0 {
            None => true,
            Some(chosen) => chosen.iter().any(|(g, c)| *g == group && c == component),
        }
    }

    /// The table rows this selection leaves out.
    pub fn left_out(
        &self,
    ) -> impl Iterator<Item = &'static (Group, &'static str, &'static [(&'static str, Left)])> + '_
    {
        COMPONENTS
            .iter()
            .filter(|(group, name, _)| !self.includes(*group, name))
    }
}

/// Cuts a full definition and `config.json` down to what `selection` exports.
pub fn export_view(definition: &mut Value, config: &mut Value, selection: &Selection) {
    for (group, name, keys) in selection.left_out() {
        if (*group, *name) == (Group::Settings, "botVariables")
            && let Some(vars) = config.get_mut("envVariables")
        {
            *vars = Value::Array(Vec::new());
        }
        let Some(root) = definition.as_object_mut() else {
            return;
        };
        for (key, left) in keys.iter() {
            match left {
                Absent => drop(root.remove(*key)),
                Empty => {
                    if let Some(value) = root.get_mut(*key) {
                        *value = empty_like(value);
                    }
                }
                Stub(fields) => {
                    if let Some(Value::Array(items)) = root.get_mut(*key) {
                        items.iter_mut().for_each(|item| keep_only(item, fields));
                    }
                }
            }
        }
    }
}

fn empty_like(value: &Value) -> Value {
    match value {
        Value::Object(_) => Value::Object(Default::default()),
        _ => Value::Array(Vec::new()),
    }
}

fn keep_only(item: &mut Value, fields: &[&str]) {
    if let Some(map) = item.as_object_mut() {
        map.retain(|k, _| fields.contains(&k.as_str()));
    }
}

/// Keeps only the dialogs named by `subTasks.dialogs` (unless `allTasks`).
pub fn only_dialogs(definition: &mut Value, wanted: &[String]) {
    if let Some(Value::Array(dialogs)) = definition.get_mut("dialogs") {
        dialogs.retain(|d| {
            d.get("_id")
                .and_then(Value::as_str)
                .is_some_and(|id| wanted.iter().any(|w| w == id))
        });
    }
}

/// What one export request asks for.
#[derive(Debug, Clone, Default)]
pub struct ExportView {
    pub selection: Selection,
    /// `subTasks.dialogs`, unless `allTasks` is true.
    pub dialogs: Option<Vec<String>>,
}

impl ExportView {
    /// From a request's `exportOptions`, `subTasks` and `allTasks` (the
    /// platform's own echo nests `subTasks` inside `exportOptions`: both count).
    pub fn from_request(options: Option<&Value>, sub_tasks: Option<&Value>, all: bool) -> Self {
        let selection = options.map_or_else(Selection::all, Selection::from_options);
        let sub_tasks = sub_tasks.or_else(|| options.and_then(|o| o.get("subTasks")));
        let dialogs = sub_tasks
            .and_then(|s| s.get("dialogs"))
            .and_then(Value::as_array)
            .filter(|_| !all)
            .map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            });
        Self { selection, dialogs }
    }

    /// Cuts a copy down to this view.
    pub fn apply(&self, definition: &mut Value, config: &mut Value) {
        export_view(definition, config, &self.selection);
        if let Some(dialogs) = &self.dialogs {
            only_dialogs(definition, dialogs);
        }
    }
}
