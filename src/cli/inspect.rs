//! `img-mirror inspect IMAGE[:TAG|@DIGEST]`.

use img_mirror::verify::inspect;

use super::args::{InspectArgs, MirrorFormat};
use super::workspace::Registries;
use super::{Failure, Outcome, output};

pub fn run(args: InspectArgs) -> Result<Outcome, Failure> {
    let Registries { client, runtime } = Registries::open(&args.registry)?;
    let inspection = runtime.block_on(inspect(&client, &args.image))?;
    let text = match args.format {
        MirrorFormat::Json => format!(
            "{}\n",
            serde_json::to_string(&inspection).unwrap_or_default()
        ),
        MirrorFormat::Human => {
            let mut text = format!(
                "{}\nDigest:     {}\nMediaType:  {}\n",
                inspection.image, inspection.digest, inspection.media_type
            );
            if !inspection.platforms.is_empty() {
                text.push_str(&format!(
                    "Platforms:  {}\n",
                    inspection.platforms.join(", ")
                ));
            }
            text
        }
    };
    output::stdout(&text)?;
    Ok(Outcome::Clean)
}
