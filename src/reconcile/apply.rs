//! The platform calls of an apply (upload → import → train each language →
//! publish), each sent without waiting for its job: `stages` watches the
//! jobs and runs each step only when the one before it succeeded, so nothing
//! is ever published after a failed import or training.

use bytes::Bytes;

use crate::desired::{BotFiles, DesiredBot, UtteranceMode};
use crate::ids::BotId;
use crate::platform::jobs::JobPhase;
use crate::platform::{
    BotCopy, ChangeMark, FileId, FileKind, ImportOptions, ImportOutcome, ImportRequest,
    ImportRequestId, PlatformClient, PlatformError, UtteranceOptions, VariableOptions,
};

use super::error::PassError;

/// Where an import starts from: the change log's mark before it, and whether
/// that mark is the one of an earlier import whose answer was lost.
#[derive(Debug, Clone, Copy)]
pub struct ImportBasis<'a> {
    pub mark: Option<&'a ChangeMark>,
    pub after_lost_answer: bool,
}

/// Uploads the commit's files and sends their import into the
/// in-development copy, without waiting for it: the import's request id.
/// After a lost answer, an import that completed since is the import
/// instead of sending another one.
pub async fn send_import(
    platform: &PlatformClient,
    bot: &BotId,
    desired: &DesiredBot,
    basis: ImportBasis<'_>,
) -> Result<ImportRequestId, PassError> {
    if basis.after_lost_answer
        && let Some(request) = platform.import_since(bot, basis.mark).await?
    {
        return Ok(request);
    }
    let request = upload_files(platform, &desired.files, import_options(desired)).await?;
    Ok(platform.start_import(bot, &request, basis.mark).await?)
}

/// How many uploads an import of `desired` makes (definition, `config.json`
/// and each function), for the upload budget.
pub fn uploads(desired: &DesiredBot) -> u32 {
    2 + u32::try_from(desired.files.functions.len()).unwrap_or(u32::MAX - 2)
}

/// Uploads a bot's files (definition, `config.json`, functions) and imports
/// them into its in-development copy: the one way kore-gitops pushes a bot.
pub async fn upload_and_import(
    platform: &PlatformClient,
    bot: &BotId,
    files: &BotFiles,
    import_options: Option<ImportOptions>,
) -> Result<ImportOutcome, PlatformError> {
    let request = upload_files(platform, files, import_options).await?;
    platform.import(bot, &request).await
}

/// Uploads the files of an import; the request that imports them.
async fn upload_files(
    platform: &PlatformClient,
    files: &BotFiles,
    import_options: Option<ImportOptions>,
) -> Result<ImportRequest, PlatformError> {
    let json = FileKind::Json;
    let definition_name = files.definition_name.file_name();
    let definition = upload(platform, definition_name, &files.definition, json).await?;
    let config = upload(platform, "config.json", &files.config, json).await?;
    let mut functions = Vec::new();
    for (name, body) in &files.functions {
        functions.push(upload(platform, name, body, FileKind::Js).await?);
    }
    Ok(ImportRequest {
        bot_definition: definition,
        config_info: config,
        bot_functions: functions,
        import_options,
    })
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

/// Whether `language`'s model is already trained on the current utterances
/// (a pass resumed after training skips it).
pub async fn trained(
    platform: &PlatformClient,
    bot: &BotId,
    language: &str,
) -> Result<bool, PassError> {
    let status = platform
        .training_status(bot, language, BotCopy::Configured)
        .await?;
    Ok(status.phase() == JobPhase::Succeeded && status.is_ml_in_sync_with_sentences != Some(false))
}

/// The languages to train: every language the definition holds, unless
/// `bot.toml` narrows them (see [`DesiredBot::languages`]).
pub fn languages(desired: &DesiredBot) -> Vec<String> {
    desired.languages()
}
