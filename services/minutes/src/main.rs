#[tokio::main]
async fn main() -> std::process::ExitCode {
    doithoai_runtime::server::main(doithoai_minutes::SERVICE, doithoai_minutes::PORTS, doithoai_minutes::start).await
}
