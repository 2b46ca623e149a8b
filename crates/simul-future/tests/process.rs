//! Child: output of `echo`, a `cat` round trip larger than a pipe buffer,
//! exit codes, kill, and the loop staying free while a child runs.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use simul_future::{
    AsyncRead, AsyncReadExt, AsyncWriteExt, Child, Runtime, join, sleep, spawn, timeout,
};

/// Reads `r` to its end.
async fn read_to_end(mut r: impl AsyncRead + Unpin) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn echo_output_is_read_and_the_status_is_success() {
    let mut rt = Runtime::new().unwrap();
    let (out, status) = rt
        .block_on(async {
            let mut cmd = Command::new("echo");
            cmd.arg("hi").stdout(Stdio::piped());
            let mut child = Child::spawn(&mut cmd)?;
            let out = read_to_end(child.take_stdout().unwrap()).await?;
            Ok::<_, std::io::Error>((out, child.wait().await?))
        })
        .unwrap()
        .unwrap();
    assert_eq!(out, b"hi\n");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn cat_round_trips_more_than_a_pipe_buffer_while_both_sides_run() {
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut rt = Runtime::new().unwrap();
    let (back, status) = rt
        .block_on(async {
            let mut cmd = Command::new("cat");
            cmd.stdin(Stdio::piped()).stdout(Stdio::piped());
            let mut child = Child::spawn(&mut cmd)?;
            let mut stdin = child.take_stdin().unwrap();
            let stdout = child.take_stdout().unwrap();
            // Writing and reading must overlap: 1 MB does not fit in the
            // pipes, so a writer alone would wait forever.
            let writer = async {
                stdin.write_all(&data).await?;
                drop(stdin);
                Ok::<_, std::io::Error>(())
            };
            let (w, back) = join(writer, read_to_end(stdout)).await;
            w?;
            Ok::<_, std::io::Error>((back?, child.wait().await?))
        })
        .unwrap()
        .unwrap();
    assert!(back == data, "cat must give back exactly what it was given");
    assert!(status.success());
}

#[test]
fn exit_codes_and_stderr_come_back() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        for code in [0, 1, 3, 255] {
            let mut child = Child::spawn(Command::new("sh").args(["-c", &format!("exit {code}")]))?;
            let status = child.wait().await?;
            assert_eq!(status.code(), Some(code));
            assert_eq!(child.wait().await?.code(), Some(code), "waiting again gives the same");
        }
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo to-err >&2; exit 7"]).stderr(Stdio::piped());
        let mut child = Child::spawn(&mut cmd)?;
        assert_eq!(read_to_end(child.take_stderr().unwrap()).await?, b"to-err\n");
        assert_eq!(child.wait().await?.code(), Some(7));

        let missing = Child::spawn(&mut Command::new("/nonexistent/simul-program")).unwrap_err();
        assert_eq!(missing.kind(), std::io::ErrorKind::NotFound);
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}

#[test]
fn a_running_child_does_not_stop_the_loop_and_can_be_killed() {
    let mut rt = Runtime::new().unwrap();
    rt.block_on(async {
        let mut child = Child::spawn(Command::new("sleep").arg("30"))?;
        // Other tasks keep running while the child sleeps.
        let ticker = spawn(async {
            for _ in 0..5 {
                sleep(Duration::from_millis(5)).await;
            }
        });
        assert!(timeout(Duration::from_millis(50), child.wait()).await.is_err());
        ticker.await.unwrap();
        assert!(child.try_wait()?.is_none());
        child.kill()?;
        let status = timeout(Duration::from_secs(10), child.wait()).await.expect("exits")?;
        assert_eq!(status.signal(), Some(9));
        Ok::<_, std::io::Error>(())
    })
    .unwrap()
    .unwrap();
}
