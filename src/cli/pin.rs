//! `img-mirror pin NAME IMAGE:TAG`.

use img_mirror::mirror::Status;
use img_mirror::pin::{Form, mirror_pinned, pin};
use img_mirror::vars::edit::write_atomically;

use super::args::{MirrorFormat, PinArgs};
use super::reporter::{Reporter, Sink};
use super::workspace::{Registries, Workspace};
use super::{Failure, Outcome, output};

pub fn run(args: PinArgs) -> Result<Outcome, Failure> {
    let workspace = Workspace::open(&args.repo, None)?;
    let context = &workspace.context;
    let Some(vars) = workspace.load_vars()? else {
        return Ok(Outcome::Findings);
    };
    let Registries { client, runtime } = Registries::open(&args.registry)?;
    let pinned = runtime.block_on(pin(&client, &vars, context, &args.name, &args.image))?;
    output::stdout(&pinned.unified(&vars, &context.package_file))?;
    if let Some(note) = &pinned.note {
        output::stderr(&format!("img-mirror: IMAGES.{}: {note}\n", pinned.name));
    }
    if pinned.changes.is_empty() {
        output::stderr(&format!(
            "img-mirror: IMAGES.{} is already {}\n",
            pinned.name, pinned.value
        ));
    }
    if args.dry_run {
        return Ok(Outcome::Clean);
    }
    let vars_path = &context.vars_path;
    write_atomically(vars_path, pinned.new_text.as_bytes())
        .map_err(|e| Failure::message(format!("cannot write {}: {e}", vars_path.display())))?;
    if !args.mirror {
        if pinned.form == Form::Mirrored {
            output::stderr(&format!(
                "img-mirror: IMAGES.{} is mirrored; copy it with `img-mirror mirror --entry {}` (or pin --mirror) before deploying\n",
                pinned.name, pinned.name
            ));
        }
        return Ok(Outcome::Clean);
    }
    if pinned.form == Form::Direct {
        output::stderr(&format!(
            "img-mirror: {} is on an approved registry; nothing to mirror\n",
            pinned.upstream.name()
        ));
        return Ok(Outcome::Clean);
    }
    let reporter = Reporter::new(MirrorFormat::Human, Sink::Stderr);
    let outcomes = reporter.run(|| {
        runtime.block_on(mirror_pinned(
            &client,
            &pinned,
            workspace.prefix(),
            workspace.referrers(&args.registry),
            &reporter,
        ))
    })?;
    reporter.take_error()?;
    Ok(if outcomes.iter().any(|o| o.status == Status::Failed) {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}
