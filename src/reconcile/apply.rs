//! Bringing a bot to the commit: upload → import → train each language →
//! publish. Each step runs only when the one before it succeeded, so nothing
//! is ever published after a failed import or training.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::desired::{BotFiles, DesiredBot, UtteranceMode};
use crate::ids::BotId;
use crate::platform::jobs::JobPhase;
use crate::platform::{
    BotCopy, ChangeMark, FileId, FileKind, ImportOptions, ImportOutcome, ImportRequest,
    ImportRequestId, PlatformClient, PlatformError, PublishOutcome, UtteranceOptions,
    VariableOptions,
};

use super::error::PassError;

/// Platform job ids of an apply, by step, for the note.
pub type Jobs = BTreeMap<String, String>;

/// Where an import starts from: the change log's mark before it, and whether
/// that mark is the one of an earlier import whose answer was lost.
#[derive(Debug, Clone, Copy)]
pub struct ImportBasis<'a> {
    pub mark: Option<&'a ChangeMark>,
    pub after_lost_answer: bool,
}

/// Uploads the commit's files and imports them into the in-development copy;
/// the import's request id. After a lost answer, an import that completed
/// since is followed instead of sending another one.
pub async fn import(
    platform: &PlatformClient,
    bot: &BotId,
    desired: &DesiredBot,
    basis: ImportBasis<'_>,
    jobs: &mut Jobs,
) -> Result<ImportRequestId, PassError> {
    let earlier = match basis.after_lost_answer {
        true => platform.import_since(bot, basis.mark).await?,
        false => None,
    };
    let outcome = match earlier {
        Some(request) => platform.wait_for_import(bot, &request).await?,
        None => {
            let options = import_options(desired);
            let files = &desired.files;
            upload_and_import_once(platform, bot, files, options, basis.mark).await?
        }
    };
    jobs.insert("import".to_owned(), outcome.request.to_string());
    Ok(outcome.request)
}

/// Uploads a bot's files (definition, `config.json`, functions) and imports
/// them into its in-development copy: the one way kore-gitops pushes a bot.
pub async fn upload_and_import(
    platform: &PlatformClient,
    bot: &BotId,
    files: &BotFiles,
    import_options: Option<ImportOptions>,
) -> Result<ImportOutcome, PlatformError> {
    upload_and_import_once(platform, bot, files, import_options, None).await
}

/// [`upload_and_import`], the import sent at most once (see
/// [`PlatformClient::import_once`]).
async fn upload_and_import_once(
    platform: &PlatformClient,
    bot: &BotId,
    files: &BotFiles,
    import_options: Option<ImportOptions>,
    mark: Option<&ChangeMark>,
) -> Result<ImportOutcome, PlatformError> {
    let json = FileKind::Json;
    let definition_name = files.definition_name.file_name();
    let definition = upload(platform, definition_name, &files.definition, json).await?;
    let config = upload(platform, "config.json", &files.config, json).await?;
    let mut functions = Vec::new();
    for (name, body) in &files.functions {
        functions.push(upload(platform, name, body, FileKind::Js).await?);
    }
    let request = ImportRequest {
        bot_definition: definition,
        config_info: config,
        bot_functions: functions,
        import_options,
    };
    platform.import_once(bot, &request, mark).await
}

async fn upload(
    platform: &PlatformClient,
    name: &str,
    bytes: &[u8],
    kind: FileKind,
) -> Result<FileId, PlatformError> {
    platform
        .upload(name, Bytes::copy_from_slice(bytes), kind)
        .await
}

/// Always a full import, which makes the bot exactly the commit: no
/// options (`None`), or only `botVariables.ignore` for the variables the
/// environment's variable file keeps (the target bot keeps its own values),
/// with utterances and patterns replaced in so many words. `bot.toml` cannot
/// ask for more: `[import] utterances = "append"` is refused when the folder
/// is read (`desired::settings::APPEND_REFUSED`), because an append import
/// could never converge.
fn import_options(desired: &DesiredBot) -> Option<ImportOptions> {
    debug_assert_eq!(desired.settings.import.utterances, UtteranceMode::Replace);
    let keep: Vec<String> = desired
        .variables
        .values()
        .flat_map(|v| v.keep.iter().cloned())
        .collect();
    if keep.is_empty() {
        return None;
    }
    let replace = || {
        Some(crate::platform::UtteranceMode {
            append: false,
            replace: true,
        })
    };
    Some(ImportOptions {
        options: Some(UtteranceOptions {
            utterances: replace(),
            patterns: replace(),
            bot_variables: Some(VariableOptions { ignore: keep }),
        }),
        ..ImportOptions::default()
    })
}

/// Trains every language. With `only_if_needed`, a language whose model is
/// already trained on the current utterances is skipped (resuming a pass that
/// stopped after training).
pub async fn train(
    platform: &PlatformClient,
    bot: &BotId,
    languages: &[String],
    only_if_needed: bool,
    jobs: &mut Jobs,
) -> Result<(), PassError> {
    for language in languages {
        if only_if_needed {
            let status = platform
                .training_status(bot, language, BotCopy::Configured)
                .await?;
            let trained = status.phase() == JobPhase::Succeeded
                && status.is_ml_in_sync_with_sentences != Some(false);
            if trained {
                continue;
            }
        }
        let status = platform.train(bot, language).await?;
        if let Some(id) = status.training_id {
            jobs.insert(format!("train.{language}"), id);
        }
    }
    Ok(())
}

/// Publishes the in-development copy.
pub async fn publish(
    platform: &PlatformClient,
    bot: &BotId,
    comment: &str,
) -> Result<PublishOutcome, PassError> {
    Ok(platform.publish(bot, comment).await?)
}

/// The languages to train: every language the definition holds, unless
/// `bot.toml` narrows them (see [`DesiredBot::languages`]).
pub fn languages(desired: &DesiredBot) -> Vec<String> {
    desired.languages()
}
