# ern — two commands are the contract: `make demo` and `make test`. Both install what they need first.
SHELL := /bin/bash
GO    ?= go
BIN   := bin

# Debian packages ern needs: Vulkan loader + lavapipe (CPU device) + validation layers, shader tools (only for
# `make shaders`), X11/GL headers for GLFW, ALSA/PulseAudio for oto, Xvfb for headless window tests, ffmpeg/sox/
# espeak-ng for audio/video; dlib (headers, library, 68-point landmark model) and the BLAS/LAPACK link libraries its
# pkg-config file names, for LMD in engine/metrics.
APT_PKGS := libvulkan-dev libvulkan1 mesa-vulkan-drivers vulkan-tools vulkan-validationlayers \
	glslang-tools glslc spirv-tools spirv-cross \
	libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev libgl-dev \
	xvfb xauth x11-apps imagemagick \
	libasound2-dev pkg-config pulseaudio pulseaudio-utils libasound2-plugins \
	espeak-ng sox ffmpeg \
	libdlib-dev libdlib-data libblas-dev liblapack-dev

TEST_ENV := ERN_REQUIRE_GPU=1 ERN_VALIDATE=1 ERN_REQUIRE_DATA=$(if $(wildcard ../shared/data),1,0)

.PHONY: deps shaders build test bench demo clean

deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "make deps: missing Debian packages:$$missing — run 'sudo make deps' (or apt-get install them)"; exit 1; fi; \
	echo "make deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null && echo "make deps: done"

shaders:
	$(GO) run ./tools/ernshaders -dir glsl

build:
	$(GO) build -o $(BIN)/ ./tools/...

test: deps
	$(GO) vet ./...
	$(TEST_ENV) $(GO) test -timeout 40m ./...

bench: deps build
	$(GO) test -run '^$$' -bench . -benchtime 3x ./... | tee bench.txt
	$(BIN)/ernbench

DEMO_TEXT := Hello. I am a synthetic person made by ern. My lips follow the sound of my voice.

# The demo: what the device is and how fast its kernels run; a synthetic talking portrait (an ER-NeRF dataset
# with exact ground truth) muxed into demo/portrait.mp4; and the audio-clocked player with the test card — in a
# window when there is a display, else written to demo/testcard.mp4.
demo: deps build
	$(BIN)/ernbench
	@mkdir -p demo
	$(BIN)/ernsynth -size 192 -o demo/portrait -espeak "$(DEMO_TEXT)"
	ffmpeg -y -loglevel error -framerate 25 -i demo/portrait/gt_imgs/%d.jpg -i demo/portrait/aud.wav \
		-c:v libx264 -pix_fmt yuv420p -c:a aac -shortest demo/portrait.mp4
	@echo "wrote demo/portrait.mp4 (the synthetic portrait speaking) and its dataset in demo/portrait/"
	$(BIN)/ernplay -demo $(if $(DISPLAY),,-o demo/testcard.mp4)

clean:
	rm -rf $(BIN) demo bench.txt
