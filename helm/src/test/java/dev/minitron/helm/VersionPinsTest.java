package dev.minitron.helm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Every dependency and plugin version of the build is a property of the top-level pom.xml, so the
 * versions that reach the image (and its SBOM) are pinned in one place (docs/security.md). Only the
 * project's own version and its parent reference are literal.
 */
class VersionPinsTest {

    private static final Path ROOT = Path.of("..");
    private static final Set<String> LITERAL_ALLOWED = Set.of("project", "parent");

    @Test
    void noPomOfTheReactorNamesALiteralVersion() throws Exception {
        List<String> literals = new ArrayList<>();
        for (Path pom : poms()) {
            NodeList versions = parse(pom).getElementsByTagName("version");
            for (int i = 0; i < versions.getLength(); i++) {
                Element version = (Element) versions.item(i);
                String owner = ((Element) version.getParentNode()).getTagName();
                String text = version.getTextContent().strip();
                if (!LITERAL_ALLOWED.contains(owner) && !text.matches("\\$\\{[\\w.-]+}")) {
                    literals.add(ROOT.relativize(pom) + ": " + owner + " " + artifactOf(version) + " " + text);
                }
            }
        }
        assertThat(literals).as("use a property of the top-level pom.xml instead").isEmpty();
    }

    @Test
    void onlyTheTopLevelPomDefinesVersionProperties() throws Exception {
        List<String> defined = new ArrayList<>();
        List<Path> poms = poms();
        for (Path pom : poms.subList(1, poms.size())) {
            NodeList properties = parse(pom).getElementsByTagName("properties");
            for (int i = 0; i < properties.getLength(); i++) {
                NodeList children = properties.item(i).getChildNodes();
                for (int j = 0; j < children.getLength(); j++) {
                    if (children.item(j) instanceof Element e && e.getTagName().endsWith(".version")) {
                        defined.add(ROOT.relativize(pom) + ": " + e.getTagName());
                    }
                }
            }
        }
        assertThat(defined).isEmpty();
    }

    /** The top-level pom first, then its modules'. */
    private static List<Path> poms() throws Exception {
        Path top = ROOT.resolve("pom.xml");
        List<Path> poms = new ArrayList<>(List.of(top));
        NodeList modules = parse(top).getElementsByTagName("module");
        for (int i = 0; i < modules.getLength(); i++) {
            poms.add(ROOT.resolve(modules.item(i).getTextContent().strip()).resolve("pom.xml"));
        }
        return poms;
    }

    private static String artifactOf(Element version) {
        NodeList ids = ((Element) version.getParentNode()).getElementsByTagName("artifactId");
        return ids.getLength() == 0 ? "?" : ids.item(0).getTextContent().strip();
    }

    private static Document parse(Path pom) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }
}
