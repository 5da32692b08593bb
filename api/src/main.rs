//! `prioritering [serve | seed | generate [--proposals N] [--first-year Y] | schema]`

use std::net::TcpListener;

use api::config::Config;

const USAGE: &str = "usage: api [serve | seed | schema \
                     | generate [--proposals N] [--first-year YEAR] [--seed N] \
                     | bench [--proposals N] [--iterations N] \
                     | token --role ROLE [--committee CODE]... [--name NAME] [--hours N]]";

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Vec<String>) -> Result<(), String> {
    let command = args.first().map(String::as_str).unwrap_or("serve");
    if command == "schema" {
        print!("{}", api::sdl());
        return Ok(());
    }
    let config = Config::from_env()?;
    api::init_tracing(config.log_format);
    match command {
        "serve" => {
            let listener = TcpListener::bind(&config.bind)
                .map_err(|error| format!("cannot listen on {}: {error}", config.bind))?;
            tracing::info!(address = %config.bind, graphiql = config.graphiql, "serving GraphQL at /graphql");
            api::run(config, listener)
                .await?
                .await
                .map_err(|error| format!("server failed: {error}"))
        }
        "seed" => {
            let db = open(&config).await?;
            api::domain::demo::load(&db)
                .await
                .map_err(|error| error.message())?;
            println!("demo data loaded");
            Ok(())
        }
        "generate" => {
            let proposals: usize = option(&args, "--proposals")?.unwrap_or(3000);
            let first_year: i32 = option(&args, "--first-year")?.unwrap_or(2030);
            let seed: u64 = option(&args, "--seed")?.unwrap_or(1);
            let db = open(&config).await?;
            // The committees are needed; the rest of the demo data is not loaded here.
            api::domain::demo::ensure_committees(&db)
                .await
                .map_err(|error| error.message())?;
            let generated = api::domain::synthetic::generate(&db, first_year, proposals, seed)
                .await
                .map_err(|error| error.message())?;
            println!(
                "round {first_year}: {} proposals, {} budget lines",
                generated.proposals, generated.lines
            );
            Ok(())
        }
        "bench" => {
            let options = api::bench::BenchOptions {
                proposals: option(&args, "--proposals")?.unwrap_or(3000),
                iterations: option(&args, "--iterations")?.unwrap_or(30),
            };
            // A fresh database each run unless one is named, so runs compare.
            let mut config = config;
            let scratch =
                std::env::temp_dir().join(format!("prioritering-bench-{}.db", std::process::id()));
            if std::env::var("DATABASE_URL").is_err() {
                config.database_url = format!("sqlite://{}?mode=rwc", scratch.display());
            }
            let report = api::bench::run(&config, &options).await;
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
            }
            print!("{}", report?);
            Ok(())
        }
        "token" => {
            let roles: Vec<api::auth::Role> = values(&args, "--role")
                .iter()
                .map(|name| {
                    api::auth::Role::parse(name).ok_or_else(|| {
                        format!("unknown role {name:?}: reader, coordinator, hu_member, admin, integration")
                    })
                })
                .collect::<Result<_, _>>()?;
            if roles.is_empty() {
                return Err(format!("give at least one --role\n{USAGE}"));
            }
            let committees = values(&args, "--committee");
            let name = values(&args, "--name")
                .pop()
                .unwrap_or_else(|| "Udvikler".to_owned());
            let hours: u64 = option(&args, "--hours")?.unwrap_or(8);
            let token = config.auth.sign(
                &name.to_lowercase().replace(' ', "."),
                &name,
                &roles,
                &committees,
                hours * 3600,
            )?;
            println!("{token}");
            Ok(())
        }
        _ => Err(USAGE.to_owned()),
    }
}

async fn open(config: &Config) -> Result<sea_orm::DatabaseConnection, String> {
    let db = api::db::connect(&config.database_url)
        .await
        .map_err(|error| format!("cannot open the database: {error}"))?;
    api::db::migrate(&db)
        .await
        .map_err(|error| format!("cannot migrate the database: {error}"))?;
    Ok(db)
}

fn option<T: std::str::FromStr>(args: &[String], name: &str) -> Result<Option<T>, String> {
    match args.iter().position(|arg| arg == name) {
        None => Ok(None),
        Some(index) => args
            .get(index + 1)
            .and_then(|value| value.parse().ok())
            .map(Some)
            .ok_or_else(|| format!("{name} needs a number\n{USAGE}")),
    }
}

/// Every value given for a repeatable option (`--committee SU --committee ØU`).
fn values(args: &[String], name: &str) -> Vec<String> {
    args.windows(2)
        .filter(|pair| pair[0] == name)
        .map(|pair| pair[1].clone())
        .collect()
}
