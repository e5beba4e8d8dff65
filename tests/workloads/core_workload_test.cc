// The YCSB property-file parser: every bad-file case fails with a message naming the file, the
// line and the property; the core files under workloads/ycsb/ parse; overrides apply.
#include "workloads/core_workload.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace statelab::workloads {
namespace {

std::string Error(std::string_view text, std::vector<PropertyOverride> overrides = {}) {
  Result<CoreWorkload> w = ParseCoreWorkload(text, "w.props", "w", overrides);
  if (w.ok()) return "parsed";
  EXPECT_EQ(w.error().code(), Code::kInvalidArgument);
  return std::string(w.error().message());
}

constexpr std::string_view kValid =
    "# a comment\n"
    "recordcount=500\n"
    "operationcount: 700\n"
    "readproportion=0.5\n"
    "updateproportion 0.5\n"
    "requestdistribution=zipfian\n";

TEST(CoreWorkload, ParsesPropertiesAndDefaults) {
  Result<CoreWorkload> w = ParseCoreWorkload(kValid, "w.props", "w");
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->record_count, 500u);
  EXPECT_EQ(w->operation_count, 700u);
  EXPECT_EQ(w->read_proportion, 0.5);
  EXPECT_EQ(w->update_proportion, 0.5);
  EXPECT_EQ(w->request_distribution, Distribution::kZipfian);
  EXPECT_EQ(w->field_count, 10u);  // YCSB defaults
  EXPECT_EQ(w->field_length, 100u);
  EXPECT_EQ(w->insert_order, InsertOrder::kHashed);
  EXPECT_EQ(w->properties.at("recordcount"), "500");
  EXPECT_EQ(w->properties.at("fieldlength"), "100");
  EXPECT_EQ(w->properties.size(), KnownProperties().size());
  EXPECT_EQ(w->file_sha256.size(), 64u);
  EXPECT_EQ(w->definition_sha256.size(), 64u);
}

TEST(CoreWorkload, UnknownPropertyNamesTheNearest) {
  EXPECT_EQ(Error(std::string(kValid) + "readprportion=0.5\n"),
            "w.props:7: readprportion: unknown property (did you mean readproportion?)");
}

TEST(CoreWorkload, ThreadcountIsAPositiveCountOfClientsWithOperationsEach) {
  Result<CoreWorkload> w = ParseCoreWorkload("threadcount=4\n", "w.props", "w");
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->thread_count, 4u);
  EXPECT_EQ(Error("threadcount=0\n"), "w.props:1: threadcount: is 0; must be > 0");
  EXPECT_EQ(Error("threadcount=5000\n"),
            "w.props:1: threadcount: '5000' is over 1024 client threads");
  EXPECT_EQ(Error("operationcount=3\n", {{"threadcount", "4", "-p"}}),
            "-p: threadcount: 4 client threads need at least as many operations "
            "(operationcount=3)");
}

TEST(CoreWorkload, ProportionsMustSumToOne) {
  EXPECT_EQ(Error("readproportion=0.5\nupdateproportion=0.4\n"),
            "w.props:2: updateproportion: the proportions sum to 0.9, not 1 (readproportion=0.5 "
            "updateproportion=0.4 insertproportion=0 scanproportion=0 "
            "readmodifywriteproportion=0)");
}

TEST(CoreWorkload, CountsMustBePositive) {
  EXPECT_EQ(Error("recordcount=0\n"), "w.props:1: recordcount: is 0; must be > 0");
  EXPECT_EQ(Error("\noperationcount=-5\n"),
            "w.props:2: operationcount: '-5' is negative; must be > 0");
  EXPECT_EQ(Error("fieldcount=ten\n"), "w.props:1: fieldcount: 'ten' is not a positive integer");
  EXPECT_EQ(Error("maxscanlength=0\n"), "w.props:1: maxscanlength: is 0; must be > 0");
}

TEST(CoreWorkload, UnknownDistributionNamesTheSupportedOnes) {
  EXPECT_EQ(Error("requestdistribution=exponential\n"),
            "w.props:1: requestdistribution: 'exponential' is not a request distribution this "
            "harness has (supported: uniform, zipfian, latest, hotspot)");
  EXPECT_EQ(Error("scanlengthdistribution=latest\n"),
            "w.props:1: scanlengthdistribution: 'latest' is not a scan length distribution this "
            "harness has (supported: uniform, zipfian)");
  EXPECT_EQ(Error("fieldlengthdistribution=histogram\n"),
            "w.props:1: fieldlengthdistribution: 'histogram' is not a field length distribution "
            "this harness has (supported: constant, uniform, zipfian)");
  EXPECT_EQ(Error("insertorder=random\n"),
            "w.props:1: insertorder: 'random' is not a insert order this harness has "
            "(supported: hashed, ordered)");
}

TEST(CoreWorkload, OtherBadValues) {
  EXPECT_EQ(Error("zipfianconstant=1\n"), "w.props:1: zipfianconstant: '1' is outside (0, 1)");
  EXPECT_EQ(Error("readallfields=yes\n"), "w.props:1: readallfields: 'yes' is not true or false");
  EXPECT_EQ(Error("workload=site.ycsb.workloads.TimeSeriesWorkload\n"),
            "w.props:1: workload: 'site.ycsb.workloads.TimeSeriesWorkload' is not "
            "site.ycsb.workloads.CoreWorkload (only the CoreWorkload is supported)");
  EXPECT_EQ(Error("recordcount=5\nrecordcount=6\n"),
            "w.props:2: recordcount: set twice (first at line 1)");
}

TEST(CoreWorkload, EveryErrorOfTheFileIsReported) {
  EXPECT_EQ(Error("recordcount=0\nfieldcont=1\n"),
            "w.props:1: recordcount: is 0; must be > 0\n"
            "w.props:2: fieldcont: unknown property (did you mean fieldcount?)");
}

TEST(CoreWorkload, OverridesApplyAfterTheFileAndAreChecked) {
  Result<CoreWorkload> w = ParseCoreWorkload(
      kValid, "w.props", "w", std::vector<PropertyOverride>{{"recordcount", "42", "-p"}});
  ASSERT_TRUE(w.ok()) << w.error().ToString();
  EXPECT_EQ(w->record_count, 42u);
  Result<CoreWorkload> base = ParseCoreWorkload(kValid, "w.props", "w");
  ASSERT_TRUE(base.ok());
  EXPECT_EQ(w->file_sha256, base->file_sha256);
  EXPECT_NE(w->definition_sha256, base->definition_sha256);
  EXPECT_EQ(Error(kValid, {{"recordcont", "1", "-p"}}),
            "-p: recordcont: unknown property (did you mean recordcount?)");
  EXPECT_EQ(Error(kValid, {{"readproportion", "0.9", "-p"}}),
            "-p: readproportion: the proportions sum to 1.4, not 1 (readproportion=0.9 "
            "updateproportion=0.5 insertproportion=0 scanproportion=0 "
            "readmodifywriteproportion=0)");
}

TEST(CoreWorkload, ParseOverride) {
  Result<PropertyOverride> o = ParseOverride("fieldlength=20");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(o->name, "fieldlength");
  EXPECT_EQ(o->value, "20");
  EXPECT_FALSE(ParseOverride("fieldlength").ok());
  EXPECT_FALSE(ParseOverride("=3").ok());
}

TEST(CoreWorkload, MissingFileIsAnIoError) {
  Result<CoreWorkload> w = LoadCoreWorkload("/nonexistent/workloadz");
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), Code::kIOError);
}

TEST(CoreWorkload, TheCoreFilesParseWithYcsbsParameters) {
  struct Want {
    const char* name;
    double read, update, insert, scan, rmw;
    Distribution dist;
  };
  for (const Want& want : {Want{"workloada", 0.5, 0.5, 0, 0, 0, Distribution::kZipfian},
                           Want{"workloadb", 0.95, 0.05, 0, 0, 0, Distribution::kZipfian},
                           Want{"workloadc", 1, 0, 0, 0, 0, Distribution::kZipfian},
                           Want{"workloadd", 0.95, 0, 0.05, 0, 0, Distribution::kLatest},
                           Want{"workloade", 0, 0, 0.05, 0.95, 0, Distribution::kZipfian},
                           Want{"workloadf", 0.5, 0, 0, 0, 0.5, Distribution::kZipfian}}) {
    Result<CoreWorkload> w =
        LoadCoreWorkload(std::string(STATELAB_SOURCE_DIR) + "/workloads/ycsb/" + want.name);
    ASSERT_TRUE(w.ok()) << w.error().ToString();
    EXPECT_EQ(w->name, want.name);
    EXPECT_EQ(w->record_count, 1000u);
    EXPECT_EQ(w->operation_count, 1000u);
    EXPECT_EQ(w->read_proportion, want.read) << want.name;
    EXPECT_EQ(w->update_proportion, want.update) << want.name;
    EXPECT_EQ(w->insert_proportion, want.insert) << want.name;
    EXPECT_EQ(w->scan_proportion, want.scan) << want.name;
    EXPECT_EQ(w->read_modify_write_proportion, want.rmw) << want.name;
    EXPECT_EQ(w->request_distribution, want.dist) << want.name;
    if (want.scan > 0) {
      EXPECT_EQ(w->max_scan_length, 100u);
      EXPECT_EQ(w->scan_length_distribution, Distribution::kUniform);
    }
  }
}

}  // namespace
}  // namespace statelab::workloads
