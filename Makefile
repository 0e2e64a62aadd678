# ern — two commands are the contract: `make demo` and `make test`. Both install what they need first.
SHELL := /bin/bash
GO    ?= go
BIN   := bin

# Debian packages ern needs: Vulkan loader + lavapipe (CPU device) + validation layers, shader tools (only for
# `make shaders`), X11/GL headers for GLFW, ALSA/PulseAudio for oto, Xvfb for headless window tests, ffmpeg/sox/
# espeak-ng for audio/video; dlib (headers, library, 68-point landmark model), the BLAS/LAPACK/JPEG link libraries
# its pkg-config file names and g++ for the cgo shim, for LMD in engine/metrics.
APT_PKGS := libvulkan-dev libvulkan1 mesa-vulkan-drivers vulkan-tools vulkan-validationlayers \
	glslang-tools glslc spirv-tools spirv-cross \
	libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libgl-dev \
	xvfb xauth x11-apps imagemagick \
	libasound2-dev pkg-config pulseaudio pulseaudio-utils libasound2-plugins \
	espeak-ng sox ffmpeg \
	libdlib-dev libdlib-data libblas-dev liblapack-dev libjpeg-dev g++

# A faster CPU device: lavapipe from Debian bookworm-backports' Mesa 25 (2–3× Mesa 22's on ern's kernels, see
# BENCHMARKS.md), unpacked by `make deps` into .cache/mesa25 with an ICD file naming it by absolute path; the
# system's Mesa stays installed and untouched. test/demo/bench use it (VK_ENV) when it is there and no GPU is
# (/dev/dri/renderD*, /dev/nvidia*) — unless VK_ICD_FILENAMES or VK_DRIVER_FILES is already set, or ERN_MESA=system;
# ERN_MESA=25 uses it even beside a GPU. The device line ernbench and the tests print names the Mesa that ran.
MESA25_VER := 25.0.7-2~bpo12+1
MESA25_DIR := $(CURDIR)/.cache/mesa25
MESA25_ICD := $(MESA25_DIR)/lvp_icd.json
BPO_SOURCES := /etc/apt/sources.list.d/ern-bookworm-backports.sources
VK_ENV = $(if $(VK_ICD_FILENAMES)$(VK_DRIVER_FILES)$(filter system,$(ERN_MESA)),,$(if $(wildcard $(MESA25_ICD)),$(if $(filter 25,$(ERN_MESA))$(if $(wildcard /dev/dri/renderD* /dev/nvidia0),,auto),VK_ICD_FILENAMES=$(MESA25_ICD))))

TEST_ENV = ERN_REQUIRE_GPU=1 ERN_VALIDATE=1 ERN_REQUIRE_DATA=$(if $(wildcard ../shared/data),1,0) $(VK_ENV)

.PHONY: deps mesa25 shaders build test bench demo clean fuzz fuzz-short

deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "make deps: missing Debian packages:$$missing — run 'sudo make deps' (or apt-get install them)"; exit 1; fi; \
	echo "make deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null && echo "make deps: done"
	@$(MAKE) --no-print-directory mesa25

# mesa25: fetch and unpack Mesa 25's lavapipe (idempotent: nothing to do once the stamp names $(MESA25_VER)). Any
# failure — not Debian bookworm, backports unreachable, not root for the one-time sources entry, the driver does
# not start — is a warning, and the system's lavapipe is used.
mesa25:
	@set -u; dir="$(MESA25_DIR)"; icd="$(MESA25_ICD)"; ver="$(MESA25_VER)"; \
	fresh() { [ -f "$$icd" ] && [ "$$(cat "$$dir/version" 2>/dev/null)" = "$$ver" ]; }; \
	fresh && exit 0; \
	warn() { echo "make deps: warning: $$1 — using the system's Mesa lavapipe (see toolchain.md: Mesa 25 is 2–3× faster)"; rm -f "$$icd" "$$dir/lvp_icd.tmp.json"; exit 0; }; \
	mkdir -p "$$dir" || warn "cannot create $$dir"; \
	if exec 9>>"$$dir.lock"; then flock 9; fi 2>/dev/null; fresh && exit 0; \
	[ "$$(. /etc/os-release 2>/dev/null; echo $${VERSION_CODENAME:-})" = bookworm ] || warn "Mesa 25 from backports is set up only on Debian bookworm"; \
	command -v apt-get >/dev/null && command -v dpkg >/dev/null || warn "apt-get/dpkg not found"; \
	if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then \
		[ "$$(id -u)" = 0 ] || warn "no bookworm-backports entry in /etc/apt/sources.list.d and not root to add one (sudo make deps)"; \
		printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' > $(BPO_SOURCES) || warn "cannot write $(BPO_SOURCES)"; \
	fi; \
	have() { apt-cache madison mesa-vulkan-drivers 2>/dev/null | grep -qF "| $$ver |"; }; \
	if ! have; then \
		[ "$$(id -u)" = 0 ] || warn "the bookworm-backports package lists are not fetched and not root to fetch them (sudo make deps)"; \
		bpo=$$(grep -rls '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ | head -1); \
		timeout 90 apt-get update -qq -o Acquire::Retries=0 -o Acquire::http::Timeout=20 -o Dir::Etc::SourceList="$$bpo" -o Dir::Etc::SourceParts=- -o APT::Get::List-Cleanup=0 >/dev/null 2>&1 \
			|| warn "apt-get update of bookworm-backports failed (offline?)"; \
		have || warn "bookworm-backports unreachable, or without mesa-vulkan-drivers $$ver"; \
	fi; \
	tmp=$$(mktemp -d) && chmod 777 "$$tmp" || warn "mktemp failed"; \
	(cd "$$tmp" && timeout 300 apt-get download -qq "mesa-vulkan-drivers=$$ver" >/dev/null 2>&1) || { rm -rf "$$tmp"; warn "apt-get download mesa-vulkan-drivers=$$ver failed"; }; \
	rm -f "$$icd" "$$dir/version"; rm -rf "$$dir/root" && dpkg -x "$$tmp"/mesa-vulkan-drivers_*.deb "$$dir/root" || { rm -rf "$$tmp"; warn "dpkg -x failed"; }; \
	rm -rf "$$tmp"; \
	lib=$$(find "$$dir/root" -name libvulkan_lvp.so | head -1); [ -n "$$lib" ] || warn "libvulkan_lvp.so not in the package"; \
	printf '{\n    "file_format_version": "1.0.0",\n    "ICD": {\n        "library_path": "%s",\n        "api_version": "1.4.305"\n    }\n}\n' "$$lib" > "$$dir/lvp_icd.tmp.json"; \
	if command -v vulkaninfo >/dev/null && ! VK_ICD_FILENAMES="$$dir/lvp_icd.tmp.json" vulkaninfo --summary 2>/dev/null | grep -q "Mesa 25"; then \
		warn "Mesa 25 lavapipe did not start (VK_ICD_FILENAMES=$$dir/lvp_icd.tmp.json vulkaninfo --summary)"; fi; \
	echo "$$ver" > "$$dir/version" && mv "$$dir/lvp_icd.tmp.json" "$$icd"; \
	echo "make deps: Mesa $$ver lavapipe in .cache/mesa25 (test/demo/bench use it; ERN_MESA=system for the system's)"

shaders:
	$(GO) run ./tools/ernshaders -dir glsl

build:
	$(GO) build -o $(BIN)/ ./tools/...

test: deps
	$(GO) vet ./...
	$(TEST_ENV) $(GO) test -timeout 40m $$($(GO) list ./... | grep -v '/tools/ernplay$$')
	@# ernplay's tests measure real time (A/V offsets at the speaker, stalls, load) on a 2-core box; a run that a
	@# scheduling hiccup fails is run once more, and only a second failure fails the suite.
	$(TEST_ENV) $(GO) test -timeout 20m ./tools/ernplay || { echo "make test: ernplay's real-time tests failed once; running them again"; \
		$(TEST_ENV) $(GO) test -count=1 -timeout 20m ./tools/ernplay; }
	$(MAKE) fuzz-short

# Go fuzz targets (package:Target). `make test` runs each for FUZZ_SHORT (about a minute in all, builds included);
# `make fuzz` for FUZZTIME each. A finding is saved under the package's testdata/fuzz and fails the run.
FUZZ_TARGETS := engine/audio:FuzzWAV engine/audio:FuzzNPY engine/model:FuzzModelFile engine/data:FuzzTransforms \
	engine/data:FuzzLandmarks engine/data:FuzzAU engine/pth:FuzzLoad
# FUZZ_SHORT counts executions rather than seconds: a time-bounded `go test -fuzz` can end with a spurious "context
# deadline exceeded" failure when its deadline falls inside a worker's run (seen in make test).
FUZZ_SHORT ?= 20000x
FUZZTIME ?= 5m
fuzz-short:
	@for t in $(FUZZ_TARGETS); do \
		$(GO) test ./$${t%%:*} -run '^$$' -fuzz "^$${t##*:}\$$" -fuzztime $(FUZZ_SHORT) -fuzzminimizetime 500x -parallel 2 \
			|| exit 1; \
	done
fuzz:
	@for t in $(FUZZ_TARGETS); do \
		$(GO) test ./$${t%%:*} -run '^$$' -fuzz "^$${t##*:}\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 10s || exit 1; \
	done

bench: deps build
	$(VK_ENV) $(GO) test -run '^$$' -bench . -benchtime 3x ./... | tee bench.txt
	$(VK_ENV) $(BIN)/ernbench

DEMO_TEXT := Hello. I am a synthetic person made by ern. My lips follow the sound of my voice. I can say many \
	things: numbers like one, two, three, and long words like extraordinary.
DEMO_NOVEL := This is a sentence I never heard while I was trained, and I still speak it.
DEMO_ITERS ?= 1500

# The demo is the product's main job on an embedded default: a synthetic talking portrait (an ER-NeRF dataset with
# exact ground truth, demo/portrait.mp4), the tiny model trained on it through ER-NeRF's three stages with the seed
# paper's recipe (L1 head stage, Smooth-L1 lips stage, L1 torso stage) on the default device (lavapipe on a CPU-only
# box; demo/workspace holds checkpoints, log and validation renders; a rerun resumes), and the trained portrait
# (head over torso over background) speaking a sentence it never heard — in a window when there is a display, else into demo/talking.mp4.
demo: deps build
	@mkdir -p demo
	$(BIN)/ernsynth -size 128 -o demo/portrait -espeak "$(DEMO_TEXT)"
	ffmpeg -y -loglevel error -framerate 25 -i demo/portrait/gt_imgs/%d.jpg -i demo/portrait/aud.wav \
		-c:v libx264 -pix_fmt yuv420p -c:a aac -shortest demo/portrait.mp4
	@echo "wrote demo/portrait.mp4 (the synthetic portrait speaking) and its dataset in demo/portrait/"
	$(VK_ENV) $(BIN)/erntrain demo/portrait --workspace demo/workspace --preset tiny --iters $(DEMO_ITERS) --stages head,lips,torso
	espeak-ng -w demo/novel.wav "$(DEMO_NOVEL)"
	$(VK_ENV) $(BIN)/ernplay demo/workspace/model.ern demo/novel.wav --size auto $(if $(DISPLAY),,-o demo/talking.mp4)

clean:
	rm -rf $(BIN) demo bench.txt
