// Replays every file of fuzz/corpus/ through LLVMFuzzerTestOneInput, one test case per file,
// so `bazel test //...` (g++, and --config=asan, --config=clang) runs what the fuzzer found.
//
// The corpus comes as the test's runfiles ($TEST_SRCDIR/$TEST_WORKSPACE/fuzz/corpus); set
// SIMTIME_FUZZ_CORPUS to a directory to replay another one, e.g. a fuzzer's scratch corpus.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "fuzz/loop_fuzzer.hpp"
#include "fuzz/program.hpp"

namespace simtime::fuzz {
namespace {

std::filesystem::path corpus_directory() {
  if (const char* dir = std::getenv("SIMTIME_FUZZ_CORPUS")) return dir;
  const char* runfiles = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (runfiles == nullptr) return "fuzz/corpus";
  return std::filesystem::path(runfiles) / (workspace != nullptr ? workspace : "simtime") / "fuzz" / "corpus";
}

std::vector<std::string> corpus_files() {
  std::vector<std::string> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(corpus_directory(), error)) {
    if (entry.is_regular_file()) files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The violations of the input being replayed, gathered by the handler instead of aborting.
std::vector<std::string>* violations = nullptr;
std::string* listing = nullptr;

void record(std::span<const std::uint8_t> input, const Report& report) {
  violations->insert(violations->end(), report.violations.begin(), report.violations.end());
  *listing = describe(decode(input));
}

class CorpusReplay : public ::testing::TestWithParam<std::string> {};

TEST_P(CorpusReplay, HoldsEveryOracle) {
  const auto input = read_file(corpus_directory() / GetParam());
  std::vector<std::string> found;
  std::string program;
  violations = &found;
  listing = &program;
  const ViolationHandler previous = set_violation_handler(&record);
  LLVMFuzzerTestOneInput(input.data(), input.size());
  set_violation_handler(previous);
  for (const auto& violation : found) ADD_FAILURE() << violation;
  if (!found.empty()) ADD_FAILURE() << "program:\n" << program;
}

std::string test_name(const ::testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, CorpusReplay, ::testing::ValuesIn(corpus_files()), test_name);

TEST(Corpus, IsThere) { EXPECT_FALSE(corpus_files().empty()) << "no files in " << corpus_directory(); }

}  // namespace
}  // namespace simtime::fuzz
