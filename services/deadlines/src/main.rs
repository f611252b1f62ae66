#[tokio::main]
async fn main() -> std::process::ExitCode {
    doithoai_runtime::server::main(doithoai_deadlines::SERVICE, doithoai_deadlines::PORTS, doithoai_deadlines::start)
        .await
}
