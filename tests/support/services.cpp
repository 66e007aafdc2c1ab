#include "services.hpp"

#include <curl/curl.h>
#include <signal.h>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "certbench/sys/files.hpp"
#include "certbench/sys/process.hpp"
#include "cluster.hpp"

namespace certbench::testing {

ChildProcess::~ChildProcess() {
  if (pid_ > 0) sys::signal_and_wait(pid_, SIGKILL, std::chrono::seconds(5));
}

ChildProcess start_process(std::vector<std::string> argv, const std::filesystem::path& log) {
  sys::SpawnOptions o;
  o.argv = std::move(argv);
  o.output_path = log.string();
  o.parent_death_signal = SIGKILL;
  return ChildProcess(sys::spawn(o));
}

ChildProcess start_silent_listener(int port, const std::filesystem::path& log) {
  auto listener = start_process(
      {"/usr/bin/python3", "-c",
       "import socket,sys\ns=socket.socket()\ns.bind(('127.0.0.1',int(sys.argv[1])))\ns.listen(8)\n"
       "print('listening',flush=True)\nconns=[]\nwhile True: conns.append(s.accept())",
       std::to_string(port)},
      log);
  if (!eventually([&] { return sys::read_file(log).value_or("").find("listening") != std::string::npos; }, 30))
    throw std::runtime_error("the silent listener did not start: " + sys::read_file(log).value_or(""));
  return listener;
}

HttpAnswer http_get(const std::string& url) {
  HttpAnswer answer;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) {
    answer.error = "curl_easy_init failed";
    return answer;
  }
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, +[](char* data, size_t size, size_t n, void* out) -> size_t {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
  });
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer.body);
  if (const CURLcode rc = curl_easy_perform(curl.get()); rc != CURLE_OK) {
    answer.error = curl_easy_strerror(rc);
    return answer;
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  return answer;
}

std::string url_encode(std::string_view text) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  std::unique_ptr<char, decltype(&curl_free)> encoded(
      curl_easy_escape(curl.get(), text.data(), static_cast<int>(text.size())), &curl_free);
  return encoded ? std::string(encoded.get()) : std::string();
}

}  // namespace certbench::testing
