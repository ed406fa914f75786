//! The two lists of `ordering`, each entry with its reason: sets the rule
//! cannot see, and arrays whose order is kept.

/// Sets whatever their elements carry, and why.
pub const SETS: &[(&str, &str)] = &[
    ("dialogs[]", "the bot's dialog tasks"),
    (
        "dialogComponents[]",
        "the bot's dialog nodes, referred to by id",
    ),
    (
        "scenes[]",
        "storyboard scenes; the export regenerates their _id",
    ),
    (
        "sceneComponents[]",
        "storyboard components; _id regenerated",
    ),
    (
        "sentences[]",
        "ML utterances; the export regenerates their _id",
    ),
    (
        "patterns[]",
        "the patterns of each task, one element per task",
    ),
    ("knowledgeTasks[]", "knowledge graphs"),
    ("traits[]", "trait groups"),
    ("namespaces[]", "variable namespaces"),
    ("customDashboards[]", "dashboards"),
    ("smallTalk[]", "small talk, one element per language"),
    (
        "smallTalk[].groups[]",
        "small-talk groups; the export regenerates their groupId",
    ),
    (
        "smallTalk[].groups[].**.botUtterances[]",
        "the bot's answers to one small-talk node, picked at random; _id regenerated",
    ),
    (
        "knowledgeTasks[].faqs.faqs[]",
        "FAQs, found by question; their refId is not always unique",
    ),
];

/// Lists: arrays of objects whose order is kept, and why.
pub const ORDERED: &[(&str, &str)] = &[
    // Identity-bearing, but ordered.
    (
        "dialogs[].nodes[]",
        "dialog nodes: the first is the entry point, and the canvas shows them in order",
    ),
    (
        "dialogs[].nodes[].nodes[]",
        "child nodes, in their parent's order",
    ),
    (
        "dialogComponents[].nodes[]",
        "nodes of a reusable component, as in a dialog",
    ),
    (
        "forms[].**.components[]",
        "form fields and containers: the order is the form's layout",
    ),
    // Evaluated or shown in order.
    (
        "**.transitions[]",
        "node connections: conditions are tried in order",
    ),
    (
        "**.message[]",
        "prompt messages per channel, shown in order",
    ),
    ("**.errorMessage[]", "error prompts, as messages"),
    ("**.submitMessage[]", "submit prompts, as messages"),
    (
        "**.localeData.*.messages[]",
        "messages per language, as written",
    ),
    (
        "botEvents.*.msg[]",
        "bot event messages per channel, as messages",
    ),
    (
        "patterns[].localeData.*.patterns[]",
        "intent patterns, tried in order",
    ),
    (
        "patterns[].localeData.*.negativePatterns[]",
        "negative patterns, tried in order",
    ),
    ("**.*Prompts[]", "voice prompts, played in order"),
    ("**.*Prompts[][]", "the parts of one voice prompt, in order"),
    ("ivrSettings.grammars[]", "IVR grammars, tried in order"),
    (
        "knowledgeTasks[].faqs.faqs[].answer[]",
        "the parts of an answer, in order",
    ),
    (
        "knowledgeTasks[].faqs.faqs[].alternateAnswers[]",
        "alternate answers, each a list of parts",
    ),
    (
        "knowledgeTasks[].faqs.faqs[].alternateAnswers[][]",
        "the parts of an alternate answer, in order",
    ),
    // No identity to sort by: compared as exported.
    (
        "knowledgeTasks[].faqs.faqs[].alternateQuestions[]",
        "alternate questions, no identity",
    ),
    (
        "knowledgeTasks[].faqs.**.tags[]",
        "FAQ tags ({name}), kept as written",
    ),
    (
        "knowledgeTasks[].faqs.nodes[]",
        "term settings, matched to the taxonomy by position",
    ),
    (
        "**.customTags.*[]",
        "custom tags ({name, value}), kept as written",
    ),
    (
        "dialogComponents[].localeData.*.allowedValues.values[]",
        "an entity's list of values, in display order",
    ),
    (
        "dialogComponents[].lookupValues[]",
        "a lookup entity's values, in display order",
    ),
    (
        "dialogComponents[].sampleResponse[]",
        "sample responses of a service node",
    ),
    (
        "sentences[].entities[]",
        "entity annotations of an utterance, by position",
    ),
    (
        "smallTalk[].groups[].**.userUtterances[]",
        "what users say ({text}), kept as written",
    ),
    ("scenes[].botstoreInfo[]", "store links of a scene"),
    (
        "localeData.*.confidenceConfigs[]",
        "confidence settings per mode",
    ),
    (
        "confidenceConfigs[]",
        "confidence settings per mode (older exports)",
    ),
    (
        "botSentimentEvents[]",
        "sentiment events ({name}), kept as written",
    ),
    ("koraResponses[]", "standard responses, kept as written"),
    (
        "koraResponses[].channelUXMaps[]",
        "per-channel forms of a response",
    ),
    (
        "mlParams[]",
        "ML settings per language and state, kept as written",
    ),
    (
        "llmConfigsForStream[].featureList[]",
        "LLM features ({name}), kept as written",
    ),
    (
        "forms[].**.values[]",
        "a form field's choices, in display order",
    ),
    ("forms[].integrations[]", "what a form submits to, in order"),
    (
        "widgets[].meta.previewJson.data[]",
        "a widget's preview template",
    ),
    (
        "widgets[].meta.previewJson.data[].elements[]",
        "preview items, in display order",
    ),
];
